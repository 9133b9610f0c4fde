import { has, isBlank, isPyInt, isPyNumber, type JsonObject } from './python-checks.js';

/** The origin's message templates (app/utils/validation.py), one per kind of failure. */
export const say = {
  missing: (key: string) => `缺少必需字段 '${key}'`,
  notString: (key: string) => `'${key}' 必须是一个字符串`,
  empty: (key: string) => `'${key}' 不能为空`,
  notInt: (key: string) => `'${key}' 必须是一个整数`,
  notNumber: (key: string) => `'${key}' 必须是一个数字`,
  notObject: (key: string) => `'${key}' 必须是一个对象`,
  notArray: (key: string) => `'${key}' 必须是一个数组`,
  between: (key: string, low: number, high: number) => `'${key}' 必须在 ${low} 到 ${high} 之间`,
  positive: (key: string) => `'${key}' 必须大于 0`,
};

/** A present key must be an int (`notInt`) that `inRange` accepts (else `outOfRange`). */
export function checkInt(data: JsonObject, key: string, inRange: (n: number) => boolean, outOfRange: string, errors: string[]): void {
  if (!has(data, key)) return;
  const value = data[key];
  if (!isPyInt(value)) errors.push(say.notInt(key));
  else if (!inRange(value)) errors.push(outOfRange);
}

/** A present key must be a number (`notNumber`) that `inRange` accepts (else `outOfRange`). */
export function checkNumber(data: JsonObject, key: string, inRange: (n: number) => boolean, outOfRange: string, errors: string[]): void {
  if (!has(data, key)) return;
  const value = data[key];
  if (!isPyNumber(value)) errors.push(say.notNumber(key));
  else if (!inRange(value)) errors.push(outOfRange);
}

/** A present key must be a string. */
export function checkString(data: JsonObject, key: string, errors: string[]): void {
  if (has(data, key) && typeof data[key] !== 'string') errors.push(say.notString(key));
}

/** A required key must be a string with something besides whitespace; the first failure is the only one reported. */
export function checkRequiredText(data: JsonObject, key: string, errors: string[]): void {
  const value = data[key];
  if (!has(data, key)) errors.push(say.missing(key));
  else if (typeof value !== 'string') errors.push(say.notString(key));
  else if (isBlank(value)) errors.push(say.empty(key));
}

/** The value of a key the validators accepted, else the origin's default. */
export function valueOr<T>(data: JsonObject, key: string, fallback: T): T {
  return has(data, key) ? (data[key] as T) : fallback;
}
