/**
 * The type tests of seed 003's Flask validators (`isinstance`, `in`, `str.strip`) on JSON values parsed
 * by `JSON.parse`, with the deliberate differences documented on each.
 */

/** A JSON object as Python sees a `dict` (arrays and null are not). */
export type JsonObject = Record<string, unknown>;

/** `isinstance(v, dict)`. */
export const isDict = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `key in data` for a parsed JSON object: own keys only (`"constructor" in {}` is true in JS, never in Python). */
export const has = (data: JsonObject, key: string): boolean => Object.hasOwn(data, key);

/**
 * `isinstance(v, int)`, except that `true`/`false` are refused (Python's bool is an int, so the origin
 * took `num_epochs: true` as 1 — a typo that silently trains one epoch), and that `1.0` passes (JSON.parse
 * cannot tell it from `1`; a client sending it was refused before, so accepting it breaks none). Integers
 * past 2^53 are refused: they cannot be held exactly.
 */
export const isPyInt = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value);

/**
 * `isinstance(v, (int, float))`, booleans refused as for `isPyInt`. NaN cannot arrive (JSON.parse refuses
 * it, where Python's json took it and every range check let it through); `1e400` arrives as Infinity,
 * as in Python, and every number field's range refuses it.
 */
export const isPyNumber = (value: unknown): value is number => typeof value === 'number';

// Python's str.isspace() set (str.strip() with no argument removes these). It differs from JS trim():
// U+001C–U+001F and U+0085 are whitespace in Python, U+FEFF (BOM) is not.
const PY_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const BLANK = new RegExp(`^[${PY_SPACE}]*$`);

/** `len(s.strip()) == 0` with Python's whitespace. */
export const isBlank = (text: string): boolean => BLANK.test(text);
