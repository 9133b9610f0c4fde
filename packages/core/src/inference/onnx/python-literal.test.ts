import { describe, expect, test } from 'vitest';
import { ValidationError } from '../../errors.js';
import { parseNamesLiteral, parsePythonLiteral, PYTHON_LITERAL_LIMITS, type PythonValue } from './python-literal.js';

const map = (...entries: [string | number | boolean | null, PythonValue][]) => new Map(entries);

describe('parsePythonLiteral', () => {
  test.each<{ given: string; want: PythonValue }>([
    { given: '640', want: 640 },
    { given: '-3', want: -3 },
    { given: '+7', want: 7 },
    { given: '0', want: 0 },
    { given: '1.5', want: 1.5 },
    { given: '-2.5e-3', want: -0.0025 },
    { given: '1E3', want: 1000 },
    { given: '.5', want: 0.5 },
    { given: '5.', want: 5 },
    { given: 'True', want: true },
    { given: 'False', want: false },
    { given: 'None', want: null },
    { given: "'detect'", want: 'detect' },
    { given: '"it\'s"', want: "it's" },
    { given: "'it\\'s \\\"q\\\" \\\\ \\n\\t'", want: 'it\'s "q" \\ \n\t' },
    { given: "'caf\\xe9 \\u00e9 \\U0001F600 \\101'", want: 'café é 😀 A' },
    { given: "'keeps \\d'", want: 'keeps \\d' },
    { given: "'héllo 人'", want: 'héllo 人' },
    { given: '[640, 640]', want: [640, 640] },
    { given: ' [ 1 , 2 , ] ', want: [1, 2] },
    { given: '[]', want: [] },
    { given: '(1, 2)', want: [1, 2] },
    { given: '(1,)', want: [1] },
    { given: '()', want: [] },
    { given: '(5)', want: 5 },
    { given: '[[17, 3], (1, 2)]', want: [[17, 3], [1, 2]] },
    { given: '{}', want: map() },
    { given: "{0: 'person', 1: 'bicycle'}", want: map([0, 'person'], [1, 'bicycle']) },
    { given: "{'a': [1, {'b': None}], 2.5: True, None: -1,}", want: map(['a', [1, map(['b', null])]], [2.5, true], [null, -1]) },
    {
      given: "{'data': None, 'batch': 1, 'fraction': 1.0, 'dynamic': False, 'nms': False}",
      want: map(['data', null], ['batch', 1], ['fraction', 1], ['dynamic', false], ['nms', false]),
    },
  ])('parses $given', ({ given, want }) => {
    expect(parsePythonLiteral(given)).toEqual(want);
  });

  test('keeps dict key types apart and hostile keys inert', () => {
    const value = parsePythonLiteral("{0: 'int', '0': 'str', '__proto__': 'x'}") as Map<unknown, unknown>;
    expect(value.get(0)).toBe('int');
    expect(value.get('0')).toBe('str');
    expect(value.get('__proto__')).toBe('x');
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
  });

  test.each([
    { given: '', want: 'unexpected end of text at position 0' },
    { given: '[1, 2', want: "missing \"]\"" },
    { given: '{0 1}', want: "expected ':' (sets are not supported)" },
    { given: '{1, 2}', want: 'sets are not supported' },
    { given: "{[1]: 'a'}", want: 'unsupported dict key' },
    { given: "{(1, 2): 'a'}", want: 'unsupported dict key' },
    { given: "'open", want: 'unterminated string at position 0' },
    { given: "'a\nb'", want: 'unterminated string' },
    { given: "'\\x4'", want: 'bad \\x escape' },
    { given: "'\\U00110000'", want: 'bad \\U escape' },
    { given: '__import__("os")', want: 'unsupported "__import__" at position 0' },
    { given: 'true', want: 'unsupported "true"' },
    { given: 'inf', want: 'unsupported "inf"' },
    { given: '1 2', want: 'unexpected "2" at position 2' },
    { given: '007', want: 'leading zeros' },
    { given: '1_000', want: 'unexpected "_"' },
    { given: '12345678901234567890', want: 'number out of range' },
    { given: '1e999', want: 'number out of range' },
    { given: '-', want: 'expected a number' },
    { given: '--1', want: 'expected a number' },
    { given: '[1 2]', want: "expected ',' or \"]\"" },
    { given: '{1: 2', want: 'missing "}"' },
  ])('rejects $given: $want', ({ given, want }) => {
    let error: unknown;
    try {
      parsePythonLiteral(given);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).reason).toBe('invalid_python_literal');
    expect((error as ValidationError).message).toContain(want);
  });

  test('enforces its depth and length limits', () => {
    const deep = '['.repeat(PYTHON_LITERAL_LIMITS.maxDepth + 2) + ']'.repeat(PYTHON_LITERAL_LIMITS.maxDepth + 2);
    expect(() => parsePythonLiteral(deep)).toThrow(/nested deeper than/);
    expect(() => parsePythonLiteral('['.repeat(PYTHON_LITERAL_LIMITS.maxDepth) + ']'.repeat(PYTHON_LITERAL_LIMITS.maxDepth))).not.toThrow();
    expect(() => parsePythonLiteral(`'${'a'.repeat(PYTHON_LITERAL_LIMITS.maxLength)}'`)).toThrow(/longer than/);
  });

  test('parses an 80-name dict', () => {
    const text = `{${Array.from({ length: 80 }, (_, i) => `${i}: 'class name ${i}'`).join(', ')}}`;
    expect(parseNamesLiteral(text)).toHaveLength(80);
  });
});

describe('parseNamesLiteral', () => {
  test.each<{ given: string; want: string[] | undefined }>([
    { given: "{0: 'person', 1: 'bicycle'}", want: ['person', 'bicycle'] },
    { given: "{1: 'b', 0: 'a'}", want: ['a', 'b'] },
    { given: "{'0': 'a', '1': 'b'}", want: ['a', 'b'] },
    { given: "['a', 'b']", want: ['a', 'b'] },
    { given: "('a',)", want: ['a'] },
    { given: "{0: 'a', 2: 'c'}", want: undefined },
    { given: "{0: 'a', '0': 'b'}", want: undefined },
    { given: "{-1: 'a'}", want: undefined },
    { given: "{0: 1}", want: undefined },
    { given: "{True: 'a'}", want: undefined },
    { given: "['a', 2]", want: undefined },
    { given: '{}', want: undefined },
    { given: '[]', want: undefined },
    { given: "'person'", want: undefined },
    { given: "{0: 'a'", want: undefined },
  ])('$given → $want', ({ given, want }) => {
    expect(parseNamesLiteral(given)).toEqual(want);
  });
});
