import YAML from 'yaml';
import { describe, expect, test } from 'vitest';
import { renderDataYaml } from './data-yaml.js';

describe('renderDataYaml', () => {
  test.each([
    {
      given: { path: '/data/datasets/ds/v1', splits: ['train', 'val'] as const, names: ['person', 'car'] },
      want: 'names:\n  - person\n  - car\nnc: 2\npath: /data/datasets/ds/v1\ntrain: images/train\nval: images/val\n',
    },
    { given: { splits: ['train'] as const, names: [] }, want: 'names: []\nnc: 0\ntrain: images/train\nval: images/train\n' },
    { given: { splits: ['train', 'val', 'test'] as const, names: ['a'] }, want: 'names:\n  - a\nnc: 1\ntest: images/test\ntrain: images/train\nval: images/val\n' },
  ])('renders $want', ({ given, want }) => {
    expect(renderDataYaml({ ...given, splits: [...given.splits] })).toBe(want);
  });

  test('quotes names that YAML would otherwise misread', () => {
    const names = ['yes', '1', 'a: b', '#tag', 'null', '<img src=x>'];
    expect(YAML.parse(renderDataYaml({ splits: ['train'], names })).names).toEqual(names);
  });
});
