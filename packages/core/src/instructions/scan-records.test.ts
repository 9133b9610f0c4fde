import { describe, expect, test } from 'vitest';
import type { RawRecord } from './read-records.js';
import { createReportBuilder } from './scan-records.js';

const a = (i: number, instruction = `q${i}`): RawRecord => ({ index: i, line: i + 1, value: { instruction, output: 'a' } });
const s = (i: number, q = `q${i}`): RawRecord => ({ index: i, line: i + 1, value: { conversations: [{ from: 'human', value: q }, { from: 'gpt', value: 'a' }] } });

function report(records: RawRecord[], maxIssues = 1000) {
  const builder = createReportBuilder(maxIssues);
  records.forEach((r) => builder.add(r));
  return builder.finish();
}

describe('createReportBuilder', () => {
  test('counts valid, invalid and duplicate records, and lists issues in file order', () => {
    const got = report([
      a(0),
      { index: 1, line: 2, problem: { code: 'bad_json', message: 'line 2 is not valid JSON: x' } },
      a(2, 'q0'),
      { index: 3, line: 4, value: { instruction: '', output: 7 } },
      a(4),
    ]);
    expect(got).toEqual({
      record_format: 'alpaca', records_total: 5, records_valid: 2, records_invalid: 2, duplicates: 1,
      formats: { alpaca: 2 }, issue_counts: { bad_json: 1, duplicate: 1, empty_text: 1, wrong_type: 1 }, issues_truncated: 0,
      issues: [
        { index: 1, line: 2, code: 'bad_json', message: 'line 2 is not valid JSON: x' },
        { index: 2, line: 3, code: 'duplicate', message: 'line 3 repeats the content of an earlier record' },
        { index: 3, line: 4, code: 'empty_text', field: 'instruction', message: 'instruction is empty' },
        { index: 3, line: 4, code: 'wrong_type', field: 'output', message: 'output must be a string, not a number' },
      ],
    });
  });

  test('keeps the majority format; the minority’s valid records become mixed_format issues in order', () => {
    const got = report([s(0), a(1), a(2), s(3), a(4)]);
    expect(got.record_format).toBe('alpaca');
    expect([got.records_valid, got.records_invalid, got.formats]).toEqual([3, 2, { sharegpt: 2, alpaca: 3 }]);
    expect(got.issues).toEqual([
      { index: 0, line: 1, code: 'mixed_format', message: 'record 0 is sharegpt but most records of this file are alpaca' },
      { index: 3, line: 4, code: 'mixed_format', message: 'record 3 is sharegpt but most records of this file are alpaca' },
    ]);
    expect(got.issue_counts).toEqual({ mixed_format: 2 });
  });

  test('a tie goes to the format seen first', () => {
    expect(report([s(0), a(1)]).record_format).toBe('sharegpt');
    expect(report([a(0), s(1)]).record_format).toBe('alpaca');
  });

  test('lists at most maxIssues, counting the rest', () => {
    const records = Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? a(i, 'same') : s(i)));
    const got = report(records, 10);
    // 25 Alpaca records, 24 repeats of the first; 25 ShareGPT records: ShareGPT is the majority
    expect(got.record_format).toBe('sharegpt');
    expect(got.issue_counts).toEqual({ duplicate: 24, mixed_format: 1 });
    expect(got.issues).toHaveLength(10);
    expect(got.issues[0]).toMatchObject({ index: 0, code: 'mixed_format' });
    expect(got.issues.slice(1).every((issue) => issue.code === 'duplicate')).toBe(true);
    expect(got.issues_truncated).toBe(15);
  });

  test('no records: no format, nothing valid', () => {
    expect(report([])).toMatchObject({ record_format: null, records_total: 0, records_valid: 0, issues: [] });
  });
});
