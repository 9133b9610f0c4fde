/** `JSON.parse` into fresh plain objects, dropping `__proto__` keys so stored data cannot alter prototypes. */
export const parseStoredJson = <T>(text: string): T =>
  JSON.parse(text, (key, value: unknown) => (key === '__proto__' ? undefined : value)) as T;

/** Deep copy as a JSON store would read it back: `undefined` keys gone, `__proto__` keys dropped. */
export const storedCopy = <T>(value: T): T => parseStoredJson<T>(JSON.stringify(value));
