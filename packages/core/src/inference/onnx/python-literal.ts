import { ValidationError } from '../../errors.js';

/** Dict keys we accept (hashable scalars; tuple keys are rejected). */
export type PythonKey = string | number | boolean | null;

/** A parsed literal: `None` → null, list and tuple → array, dict → `Map` (keeps key types and order). */
export type PythonValue = null | boolean | number | string | PythonValue[] | Map<PythonKey, PythonValue>;

/** Longest text and deepest nesting `parsePythonLiteral` accepts. */
export const PYTHON_LITERAL_LIMITS = { maxLength: 1_000_000, maxDepth: 32 } as const;

const MAX_CLASSES = 100_000;
const NUMBER = /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const WORDS = new Map<string, PythonValue>([['True', true], ['False', false], ['None', null]]);
const ESCAPES = new Map(Object.entries({ '\\': '\\', "'": "'", '"': '"', n: '\n', r: '\r', t: '\t', a: '\x07', b: '\b', f: '\f', v: '\v' }));
const HEX_ESCAPES: Record<string, number> = { x: 2, u: 4, U: 8 };

function fail(what: string, position: number): ValidationError {
  return new ValidationError(`invalid Python literal: ${what} at position ${position}`, {
    reason: 'invalid_python_literal',
    details: { position },
  });
}

/**
 * Parses the Python literals Ultralytics writes into ONNX metadata (`{0: 'person'}`, `[640, 640]`,
 * `32`, `'detect'`, `True`) without eval: dict, list, tuple, str, int, float, True/False/None.
 * Dicts become `Map`s so keys keep their type (`0` ≠ `'0'`) and hostile keys (`__proto__`) stay inert.
 * Throws `ValidationError` (reason `invalid_python_literal`) naming the position of anything else.
 * @example
 * parsePythonLiteral("{0: 'person', 1: 'bicycle'}"); // Map { 0 => 'person', 1 => 'bicycle' }
 * @see https://docs.python.org/3/library/ast.html#ast.literal_eval
 */
export function parsePythonLiteral(text: string): PythonValue {
  if (text.length > PYTHON_LITERAL_LIMITS.maxLength) throw fail(`text longer than ${PYTHON_LITERAL_LIMITS.maxLength} characters`, 0);
  const parser = new LiteralParser(text);
  const value = parser.value(0);
  parser.skipSpace();
  if (parser.pos < text.length) throw fail(`unexpected ${JSON.stringify(text[parser.pos])}`, parser.pos);
  return value;
}

/**
 * Class names from a `names` literal — `{0: 'person', 1: 'bicycle'}` (ids 0…n-1 in any order) or
 * `['person', 'bicycle']` — as an array indexed by class id. Never throws: undefined when the text is
 * malformed, empty, has a gap in its ids or a non-string name.
 */
export function parseNamesLiteral(text: string): string[] | undefined {
  let value: PythonValue;
  try {
    value = parsePythonLiteral(text);
  } catch {
    return undefined;
  }
  if (Array.isArray(value)) return value.length > 0 && value.every((n) => typeof n === 'string') ? (value as string[]) : undefined;
  if (!(value instanceof Map) || value.size === 0 || value.size > MAX_CLASSES) return undefined;
  const names: string[] = new Array<string>(value.size);
  for (const [key, name] of value) {
    const id = typeof key === 'string' && /^\d+$/.test(key) ? Number(key) : key;
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= value.size || typeof name !== 'string') return undefined;
    names[id] = name;
  }
  for (let id = 0; id < names.length; id++) if (names[id] === undefined) return undefined;
  return names;
}

class LiteralParser {
  pos = 0;
  constructor(private readonly text: string) {}

  skipSpace(): void {
    while (this.pos < this.text.length && ' \t\r\n'.includes(this.text[this.pos]!)) this.pos++;
  }

  value(depth: number): PythonValue {
    if (depth > PYTHON_LITERAL_LIMITS.maxDepth) throw fail(`nested deeper than ${PYTHON_LITERAL_LIMITS.maxDepth} levels`, this.pos);
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === undefined) throw fail('unexpected end of text', this.pos);
    if (c === '{') return this.dict(depth);
    if (c === '[') return this.sequence(']', depth);
    if (c === '(') return this.tuple(depth);
    if (c === "'" || c === '"') return this.string(c);
    if (/[-+.\d]/.test(c)) return this.number();
    const word = /[A-Za-z_]\w*/y;
    word.lastIndex = this.pos;
    const match = word.exec(this.text)?.[0] ?? c;
    if (!WORDS.has(match)) throw fail(`unsupported ${JSON.stringify(match)}`, this.pos);
    this.pos += match.length;
    return WORDS.get(match)!;
  }

  private dict(depth: number): Map<PythonKey, PythonValue> {
    const map = new Map<PythonKey, PythonValue>();
    this.pos++;
    while (!this.closes('}')) {
      const at = this.pos;
      const key = this.value(depth + 1);
      if (typeof key === 'object' && key !== null) throw fail('unsupported dict key (only str, int, float, bool, None)', at);
      this.skipSpace();
      if (this.text[this.pos] !== ':') throw fail(map.size === 0 ? "expected ':' (sets are not supported)" : "expected ':'", this.pos);
      this.pos++;
      map.set(key, this.value(depth + 1));
      this.separator('}');
    }
    return map;
  }

  private sequence(close: string, depth: number): PythonValue[] {
    const items: PythonValue[] = [];
    this.pos++;
    while (!this.closes(close)) {
      items.push(this.value(depth + 1));
      this.separator(close);
    }
    return items;
  }

  /** `()` and `(a, …)` are tuples; `(a)` is just `a`. */
  private tuple(depth: number): PythonValue {
    const start = this.pos;
    this.pos++;
    if (this.closes(')')) return [];
    const first = this.value(depth + 1);
    this.skipSpace();
    if (this.text[this.pos] === ')') {
      this.pos++;
      return first;
    }
    this.pos = start;
    return this.sequence(')', depth);
  }

  /** True (and consumes it) when the next non-space character is `close`. */
  private closes(close: string): boolean {
    this.skipSpace();
    if (this.pos >= this.text.length) throw fail(`missing ${JSON.stringify(close)}`, this.pos);
    if (this.text[this.pos] !== close) return false;
    this.pos++;
    return true;
  }

  /** After an item: a comma, or the closing bracket (left for `closes`). */
  private separator(close: string): void {
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === ',') this.pos++;
    else if (c !== close) throw fail(c === undefined ? `missing ${JSON.stringify(close)}` : `expected ',' or ${JSON.stringify(close)}`, this.pos);
  }

  private number(): number {
    const start = this.pos;
    const sign = this.text[this.pos] === '-' ? -1 : 1;
    if (this.text[this.pos] === '-' || this.text[this.pos] === '+') this.pos++;
    NUMBER.lastIndex = this.pos;
    const digits = NUMBER.exec(this.text)?.[0];
    if (digits === undefined) throw fail('expected a number', start);
    this.pos += digits.length;
    const isInt = /^\d+$/.test(digits);
    if (isInt && digits.length > 1 && digits.startsWith('0')) throw fail('integer with leading zeros', start);
    const value = sign * Number(digits);
    if (isInt ? !Number.isSafeInteger(value) : !Number.isFinite(value)) throw fail('number out of range', start);
    return value === 0 ? 0 : value;
  }

  private string(quote: string): string {
    const start = this.pos++;
    let out = '';
    for (;;) {
      const c = this.text[this.pos++];
      if (c === undefined || c === '\n' || c === '\r') throw fail('unterminated string', start);
      if (c === quote) return out;
      out += c === '\\' ? this.escape() : c;
    }
  }

  /** Python escapes; an unknown one keeps its backslash, as Python does. */
  private escape(): string {
    const at = this.pos - 1;
    const c = this.text[this.pos++];
    if (c === undefined) throw fail('unterminated string', at);
    const simple = ESCAPES.get(c);
    if (simple !== undefined) return simple;
    if (c === '\n') return '';
    const hexLength = HEX_ESCAPES[c];
    if (hexLength !== undefined) {
      const hex = this.text.slice(this.pos, this.pos + hexLength);
      if (!new RegExp(`^[0-9a-fA-F]{${hexLength}}$`).test(hex)) throw fail(`bad \\${c} escape`, at);
      this.pos += hexLength;
      const code = Number.parseInt(hex, 16);
      if (code > 0x10ffff) throw fail(`bad \\${c} escape`, at);
      return String.fromCodePoint(code);
    }
    const octal = /[0-7]{1,3}/y;
    octal.lastIndex = this.pos - 1;
    const digits = octal.exec(this.text)?.[0];
    if (digits === undefined) return `\\${c}`;
    this.pos += digits.length - 1;
    return String.fromCodePoint(Number.parseInt(digits, 8));
  }
}
