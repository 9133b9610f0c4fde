import { describe, expect, test } from 'vitest';
import { derivedClassNames, parseClassesTxt, parseYamlClassNames, validateClassNames } from './dataset-classes.js';

describe('parseYamlClassNames', () => {
  test.each([
    { given: 'names: [person, car]', want: ['person', 'car'] },
    { given: 'names:\n  0: person\n  1: bicycle', want: ['person', 'bicycle'] },
    { given: 'names:\n  1: b\n  0: a\n  3: d', want: ['a', 'b', 'class_2', 'd'] },
    { given: 'nc: 2', want: undefined },
    { given: 'just text', want: undefined },
    { given: 'names: [0, 1]', want: ['0', '1'] },
  ])('$given → $want', ({ given, want }) => {
    expect(parseYamlClassNames(given, 'data.yaml')).toEqual(want);
  });

  test.each([
    { given: 'names: [a, ""]', want: /class 1 in data.yaml/ },
    { given: 'names:\n  x: a', want: /key "x"/ },
    { given: 'names: [a\n', want: /data.yaml is not valid YAML/ },
    { given: 'a: &x [1]\nb: *x\nnames: [a]\nnames: [b]', want: /not valid YAML/ },
  ])('rejects $given', ({ given, want }) => {
    expect(() => parseYamlClassNames(given, 'data.yaml')).toThrow(want);
  });

  test('keeps hostile keys inert', () => {
    expect(parseYamlClassNames('__proto__: {admin: true}\nnames: {0: a}', 'data.yaml')).toEqual(['a']);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });
});

describe('class name lists', () => {
  test('parseClassesTxt reads one name per line, BOM and blank lines ignored', () => {
    expect(parseClassesTxt('\uFEFFcat\r\n\r\ndog\n', 'classes.txt')).toEqual(['cat', 'dog']);
  });
  test('validateClassNames rejects duplicates and empty names', () => {
    expect(() => validateClassNames(['a', 'a'])).toThrow(/names "a" twice/);
    expect(() => validateClassNames(['a', ' '])).toThrow(/class 1/);
  });
  test('derivedClassNames counts up to the highest id', () => {
    expect(derivedClassNames(2)).toEqual(['class_0', 'class_1', 'class_2']);
    expect(derivedClassNames(-1)).toEqual([]);
  });
});
