import { describe, expect, test } from 'vitest';
import { parseYoloLabels, serializeYoloLabels } from './yolo-labels.js';
import type { LabelIssueCode, YoloRow } from './yolo-labels.js';

const row = (classId: number, cx: number, cy: number, w: number, h: number): YoloRow => ({ classId, cx, cy, w, h });
const NC = { nc: 80 };

describe('parseYoloLabels', () => {
  const invalidLines: { given: string; want: { code: LabelIssueCode; message: RegExp } }[] = [
    { given: '0 0.5 0.5 0.1', want: { code: 'wrong_column_count', message: /expected 5 columns .* got 4$/ } },
    { given: '0 0.5 0.5 0.1 0.1 0.9', want: { code: 'wrong_column_count', message: /got 6$/ } },
    { given: '0 0.1 0.1 0.9 0.1 0.9 0.9', want: { code: 'wrong_column_count', message: /got 7: segment polygons/ } },
    { given: '3 0.1 0.1 0.9 0.1 0.9 0.9 0.1 0.9', want: { code: 'wrong_column_count', message: /got 9: segment/ } },
    { given: '0 0.5 0.5 0.1 0.1 0.2 0.3 0.4', want: { code: 'wrong_column_count', message: /got 8$/ } },
    { given: '0', want: { code: 'wrong_column_count', message: /got 1$/ } },
    { given: '0 NaN 0.5 0.1 0.1', want: { code: 'invalid_number', message: /^cx "NaN" is not a finite decimal/ } },
    { given: '0 0.5 Infinity 0.1 0.1', want: { code: 'invalid_number', message: /^cy "Infinity"/ } },
    { given: '0 1e309 0.5 0.1 0.1', want: { code: 'invalid_number', message: /^cx "1e309"/ } },
    { given: '0x10 0.5 0.5 0.1 0.1', want: { code: 'invalid_number', message: /^class id "0x10"/ } },
    { given: '0 0.5 0.5 0.5abc 0.1', want: { code: 'invalid_number', message: /^w "0.5abc"/ } },
    { given: '0 0.5 0.5 0.1 +-1', want: { code: 'invalid_number', message: /^h "\+-1"/ } },
    { given: '0 0.5 0.5 . 0.1', want: { code: 'invalid_number', message: /^w "\."/ } },
    { given: '0 0.5 0.5 1e 0.1', want: { code: 'invalid_number', message: /^w "1e"/ } },
    { given: '0 0,5 0.5 0.1 0.1', want: { code: 'invalid_number', message: /^cx "0,5"/ } },
    { given: `0 ${'9'.repeat(500)}x 0.5 0.1 0.1`, want: { code: 'invalid_number', message: /^cx "9{40}…" is not/ } },
    { given: '1.5 0.5 0.5 0.1 0.1', want: { code: 'invalid_class_id', message: /^class id 1.5 is not a non-negative/ } },
    { given: '-1 0.5 0.5 0.1 0.1', want: { code: 'invalid_class_id', message: /^class id -1 is not/ } },
    { given: '1e30 0.5 0.5 0.1 0.1', want: { code: 'invalid_class_id', message: /^class id 1e30 is not/ } },
    { given: '80 0.5 0.5 0.1 0.1', want: { code: 'class_out_of_range', message: /^class id 80 is out of range \(nc=80\)$/ } },
    { given: '0 -0.1 0.5 0.1 0.1', want: { code: 'coordinate_out_of_range', message: /^cx -0.1 is outside \[0, 1\]$/ } },
    { given: '0 0.5 1.01 0.1 0.1', want: { code: 'coordinate_out_of_range', message: /^cy 1.01 is outside/ } },
    { given: '0 0.5 0.5 1.5 0.1', want: { code: 'coordinate_out_of_range', message: /^w 1.5 is outside/ } },
    { given: '0 0.5 0.5 0.1 -0.5', want: { code: 'coordinate_out_of_range', message: /^h -0.5 is outside/ } },
    { given: '0 0.5 0.5 0 0.1', want: { code: 'non_positive_size', message: /^box size must be positive, got w=0 h=0.1$/ } },
    { given: '0 0.5 0.5 0.1 -0.0000001', want: { code: 'non_positive_size', message: /h=-1e-7$/ } },
  ];

  test.each(invalidLines)('reports $want.code for "$given"', ({ given, want }) => {
    const text = `0 0.5 0.5 0.2 0.2\n${given}\n1 0.25 0.25 0.1 0.1`;
    const parsed = parseYoloLabels(text, NC);
    expect(parsed.issues).toEqual([{ line: 2, code: want.code, message: expect.stringMatching(want.message) }]);
    expect(parsed.rows).toEqual([row(0, 0.5, 0.5, 0.2, 0.2), row(1, 0.25, 0.25, 0.1, 0.1)]);
  });

  const validLines: { given: string; want: YoloRow }[] = [
    { given: '1.0 0.5 0.5 0.1 0.1', want: row(1, 0.5, 0.5, 0.1, 0.1) },
    { given: '-0 0.5 0.5 0.1 0.1', want: row(0, 0.5, 0.5, 0.1, 0.1) },
    { given: '+2 .5 0.5 1 1.', want: row(2, 0.5, 0.5, 1, 1) },
    { given: '3 5e-1 5E-1 1e-1 1e-1', want: row(3, 0.5, 0.5, 0.1, 0.1) },
    { given: '0 0 1 0.1 0.1', want: row(0, 0, 1, 0.1, 0.1) },
    { given: '0 1.0000005 -0.0000005 0.1 0.1', want: row(0, 1.0000005, -0.0000005, 0.1, 0.1) },
    { given: '\t 4   0.5\t0.5 0.1  0.1 \t', want: row(4, 0.5, 0.5, 0.1, 0.1) },
    { given: '79 0.5 0.5 0.1 0.1', want: row(79, 0.5, 0.5, 0.1, 0.1) },
  ];

  test.each(validLines)('accepts "$given"', ({ given, want }) => {
    expect(parseYoloLabels(given, NC)).toEqual({ rows: [want], issues: [] });
  });

  test('skips blank lines but counts them in line numbers', () => {
    const parsed = parseYoloLabels('\n0 0.5 0.5 0.1 0.1\n   \n\n0 NaN 0 0 0\n');
    expect(parsed.rows).toHaveLength(1);
    expect(parsed.issues.map((issue) => issue.line)).toEqual([5]);
  });

  test('accepts CRLF, CR and mixed line ends', () => {
    const want = [row(0, 0.5, 0.5, 0.1, 0.1), row(1, 0.5, 0.5, 0.2, 0.2), row(2, 0.5, 0.5, 0.3, 0.3)];
    expect(parseYoloLabels('0 0.5 0.5 0.1 0.1\r\n1 0.5 0.5 0.2 0.2\r\n2 0.5 0.5 0.3 0.3\r\n')).toEqual({ rows: want, issues: [] });
    expect(parseYoloLabels('0 0.5 0.5 0.1 0.1\r1 0.5 0.5 0.2 0.2\n2 0.5 0.5 0.3 0.3')).toEqual({ rows: want, issues: [] });
  });

  test('strips a UTF-8 byte order mark', () => {
    expect(parseYoloLabels('\uFEFF7 0.5 0.5 0.1 0.1')).toEqual({ rows: [row(7, 0.5, 0.5, 0.1, 0.1)], issues: [] });
  });

  test('an empty file has no rows and no issues', () => {
    expect(parseYoloLabels('')).toEqual({ rows: [], issues: [] });
    expect(parseYoloLabels('\uFEFF\r\n')).toEqual({ rows: [], issues: [] });
  });

  test('reports an exact duplicate row (numerically equal) and keeps the first', () => {
    const parsed = parseYoloLabels('0 0.5 0.5 0.1 0.1\n1 0.5 0.5 0.1 0.1\n0 0.50 .5 1e-1 0.1');
    expect(parsed.rows).toEqual([row(0, 0.5, 0.5, 0.1, 0.1), row(1, 0.5, 0.5, 0.1, 0.1)]);
    expect(parsed.issues).toEqual([{ line: 3, code: 'duplicate_row', message: 'duplicate of line 1: "0 0.50 .5 1e-1 0.1"' }]);
  });

  test('checks class range only when nc is given', () => {
    expect(parseYoloLabels('500 0.5 0.5 0.1 0.1').issues).toEqual([]);
    expect(parseYoloLabels('0 0.5 0.5 0.1 0.1', { nc: 0 }).issues.map((issue) => issue.code)).toEqual(['class_out_of_range']);
    expect(() => parseYoloLabels('', { nc: -1 })).toThrow(/nc must be a non-negative integer/);
  });

  test('reports one issue per invalid line, in line order', () => {
    const parsed = parseYoloLabels('0 NaN 0.5 0.1 0.1\n0 0.5\n\n99 0.5 0.5 0.1 0.1\n0 0.5 0.5 0.1 0.1', NC);
    expect(parsed.issues.map(({ line, code }) => [line, code])).toEqual([
      [1, 'invalid_number'],
      [2, 'wrong_column_count'],
      [4, 'class_out_of_range'],
    ]);
    expect(parsed.rows).toHaveLength(1);
  });

  test('parses 1,000,000 lines in linear time', () => {
    const lines: string[] = [];
    for (let i = 0; i < 1_000_000; i += 1) {
      lines.push(`${i % 80} ${((i % 1000) + 0.5) / 1000} ${(Math.floor(i / 1000) + 0.5) / 1000} 0.01 0.02`);
    }
    lines[123_456] = '0 NaN 0.5 0.1 0.1';
    const started = performance.now();
    const parsed = parseYoloLabels(lines.join('\r\n'), NC);
    const elapsedMs = performance.now() - started;
    expect(parsed.rows).toHaveLength(999_999);
    expect(parsed.issues).toEqual([{ line: 123_457, code: 'invalid_number', message: expect.any(String) }]);
    expect(elapsedMs).toBeLessThan(30_000); // ~1 s here; a quadratic parser would take hours
  });

  test('stays linear on rows that differ only in late digits (duplicate index cannot degrade)', () => {
    const lines = Array.from({ length: 300_000 }, (_, i) => `0 0.5 0.5 0.1 0.1${String(i).padStart(7, '0')}`);
    lines.push(lines[42] as string);
    const parsed = parseYoloLabels(lines.join('\n'));
    expect(parsed.rows).toHaveLength(300_000);
    expect(parsed.issues).toEqual([{ line: 300_001, code: 'duplicate_row', message: expect.stringMatching(/^duplicate of line 43:/) }]);
  });
});

describe('serializeYoloLabels', () => {
  const cases: { given: YoloRow[]; want: string }[] = [
    { given: [], want: '' },
    { given: [row(0, 0.5, 0.5, 0.25, 0.125)], want: '0 0.500000 0.500000 0.250000 0.125000' },
    { given: [row(3, 0.0078125, 1, 0.1234565, 1e-7)], want: '3 0.007812 1.000000 0.123456 0.000000' },
    { given: [row(1, -0, -0.1, 1.5, 2)], want: '1 -0.000000 -0.100000 1.500000 2.000000' },
    {
      given: [row(0, 0.1, 0.2, 0.3, 0.4), row(79, 0.9, 0.8, 0.7, 0.6)],
      want: '0 0.100000 0.200000 0.300000 0.400000\n79 0.900000 0.800000 0.700000 0.600000',
    },
  ];

  test.each(cases)('serialises $given.length row(s)', ({ given, want }) => {
    expect(serializeYoloLabels(given)).toBe(want);
  });

  test('parse(serialize(rows)) gives the rows back within 5e-7 (6-decimal rounding)', () => {
    const rows = [row(0, 0.479492, 0.688771, 0.955609, 0.5955), row(49, 0.646836, 0.132552, 0.118047, 0.0969375)];
    const back = parseYoloLabels(serializeYoloLabels(rows));
    expect(back.issues).toEqual([]);
    back.rows.forEach((parsed, i) => {
      const original = rows[i] as YoloRow;
      expect(parsed.classId).toBe(original.classId);
      for (const key of ['cx', 'cy', 'w', 'h'] as const) expect(Math.abs(parsed[key] - original[key])).toBeLessThanOrEqual(5e-7 + 1e-12);
    });
  });
});
