import { describe, expect, test } from 'vitest';
import { has, isBlank, isDict, isPyInt, isPyNumber } from './python-checks.js';

describe('Python type tests on parsed JSON', () => {
  test.each([
    { given: 1, want: { int: true, number: true } },
    { given: -0, want: { int: true, number: true } },
    { given: 1.5, want: { int: false, number: true } },
    { given: 2 ** 53, want: { int: false, number: true } },
    { given: Infinity, want: { int: false, number: true } },
    { given: true, want: { int: false, number: false } },
    { given: '1', want: { int: false, number: false } },
    { given: null, want: { int: false, number: false } },
  ])('isPyInt/isPyNumber($given) → $want', ({ given, want }) => {
    expect({ int: isPyInt(given), number: isPyNumber(given) }).toEqual(want);
  });

  test('isDict: objects only; has: own keys only', () => {
    expect([isDict({}), isDict([]), isDict(null), isDict('x')]).toEqual([true, false, false, false]);
    expect([has({}, 'constructor'), has({}, 'toString'), has({ a: undefined }, 'a')]).toEqual([false, false, true]);
  });

  // Python's str.isspace() set, listed by `[hex(c) for c in range(0x110000) if chr(c).isspace()]` (CPython 3.11).
  const PY_WHITESPACE = [0x9, 0xa, 0xb, 0xc, 0xd, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, ...Array.from({ length: 11 }, (_, i) => 0x2000 + i), 0x2028, 0x2029, 0x202f, 0x205f, 0x3000];
  test('isBlank strips exactly Python\'s whitespace (not JS trim\'s: U+FEFF counts, U+001F does not there)', () => {
    const blanks = [];
    for (let c = 0; c <= 0xffff; c++) if (isBlank(String.fromCharCode(c))) blanks.push(c);
    expect(blanks).toEqual(PY_WHITESPACE);
    expect([isBlank(''), isBlank(' \u3000\t'), isBlank(' a ')]).toEqual([true, true, false]);
  });
});
