import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { craftZip, zipBytes } from '../../../core/test/support/craft-zip.js';
import { Harness, within } from './harness.js';
import { smallJpeg } from './payloads.js';

const jpeg = smallJpeg();

/** A14: every line of the fuzz label file, with the code it must be reported under (undefined: valid). */
const FUZZ: [line: string, code: string | undefined, what: string][] = [
  ['0 0.5 0.5 0.2 0.2', undefined, 'valid'],
  ['0 NaN 0.5 0.1 0.1', 'invalid_number', 'NaN (passes a naive range check)'],
  ['0 1e309 0.5 0.1 0.1', 'invalid_number', '1e309 is Infinity'],
  ['0 0.5  0.1 0.1', 'wrong_column_count', 'an empty token'],
  ['0x10 0.5 0.5 0.1 0.1', 'invalid_number', 'hexadecimal'],
  ['0 -0.1 0.5 0.1 0.1', 'coordinate_out_of_range', 'negative'],
  ['0 1.5 0.5 0.1 0.1', 'coordinate_out_of_range', 'over 1'],
  ['3 0.5 0.5 0.1 0.1', 'class_out_of_range', 'class >= nc'],
  ['0 0.5 0.5 0.1', 'wrong_column_count', '4 columns'],
  ['0 0.5 0.5 0.1 0.1 0.9', 'wrong_column_count', '6 columns'],
  ['0 0.5 0.5 0.1 0.1 0.9 0.9', 'wrong_column_count', '7 columns (a polygon)'],
  ['1 0.25 0.25 0.1 0.1', undefined, 'valid'],
  ['-1 0.5 0.5 0.1 0.1', 'invalid_class_id', 'negative class'],
  ['1.5 0.5 0.5 0.1 0.1', 'invalid_class_id', 'fractional class'],
  ['0 0.5 0.5 0 0.1', 'non_positive_size', 'zero width'],
  ['0 0.5 0.5 0.2 0.2', 'duplicate_row', 'a repeat of line 1'],
  ['Infinity 0.5 0.5 0.1 0.1', 'invalid_number', 'Infinity'],
  ['0 0.5abc 0.5 0.1 0.1', 'invalid_number', 'parseFloat would read 0.5'],
  ['', undefined, 'blank'],
  ['2 0.75 0.75 0.1 0.1', undefined, 'valid'],
];

let h: Harness;
beforeAll(async () => {
  h = await Harness.start();
});
afterAll(async () => h.close());

const preparedLabel = (id: string, rel: string) => readFileSync(path.join(h.dataDir, 'datasets', id, 'v1', rel), 'utf8');

describe('POST /datasets/{dataset_id}/prepare with hostile label files (A14)', () => {
  test('succeeds, reports every bad line with file, line and code, and keeps only the valid lines', async () => {
    const nonUtf8 = Buffer.concat([Buffer.from('0 0.5 0.5 0.2 0.2\n'), Buffer.from([0xff, 0xfe, 0x20]), Buffer.from('0.5 0.5 0.1 0.1\n')]);
    const id = await h.upload(zipBytes({
      'data.yaml': 'names: [a, b, c]\n',
      'images/train/fuzz.jpg': jpeg, 'labels/train/fuzz.txt': FUZZ.map(([line]) => line).join('\n'),
      'images/train/crlf.jpg': jpeg, 'labels/train/crlf.txt': '0 0.5 0.5 0.2 0.2\r\n1 0.3 0.3 0.1 0.1\r\n',
      'images/train/bom.jpg': jpeg, 'labels/train/bom.txt': '\ufeff2 0.5 0.5 0.2 0.2\n',
      'images/val/latin1.jpg': jpeg, 'labels/val/latin1.txt': nonUtf8,
    }));
    const prepared = await within(h.client.datasets.prepare(id, {}), 'prepare');
    expect(prepared).toMatchObject({ status: 'prepared', image_count: 4, label_count: 4, classes: ['a', 'b', 'c'] });
    const want = FUZZ.flatMap(([, code], i) => (code ? [{ file: 'labels/train/fuzz.txt', line: i + 1, code }] : []));
    want.push({ file: 'labels/val/latin1.txt', line: 2, code: 'invalid_number' });
    const got = prepared.report.issues.map(({ file, line, code }) => ({ file, line, code }));
    expect(got).toEqual(want);
    expect(prepared.report).toMatchObject({ label_lines_invalid: want.length, label_lines_valid: 3 + 2 + 1 + 1, issues_truncated: 0 });
    for (const issue of prepared.report.issues) expect(issue.message.length).toBeGreaterThan(10);
    expect(prepared.report.issues.find((i) => i.line === 2)?.message).toContain('NaN');

    expect(preparedLabel(id, 'labels/train/fuzz.txt')).toBe('0 0.500000 0.500000 0.200000 0.200000\n1 0.250000 0.250000 0.100000 0.100000\n2 0.750000 0.750000 0.100000 0.100000');
    expect(preparedLabel(id, 'labels/train/crlf.txt')).toBe('0 0.500000 0.500000 0.200000 0.200000\n1 0.300000 0.300000 0.100000 0.100000');
    expect(preparedLabel(id, 'labels/train/bom.txt')).toBe('2 0.500000 0.500000 0.200000 0.200000');
    expect(preparedLabel(id, 'labels/val/latin1.txt')).toBe('0 0.500000 0.500000 0.200000 0.200000');
    expect(preparedLabel(id, 'labels/train/fuzz.txt')).not.toMatch(/NaN|Infinity|e309/);
  });

  test('caps the report of a 1,000,000-line label file at 1000 issues and counts the rest', async () => {
    const lines = Buffer.from('1 2\n'.repeat(1_000_000)); // 4 MB, stored so it is no ratio bomb
    const id = await h.upload(craftZip([{ name: 'images/train/a.jpg', data: jpeg }, { name: 'labels/train/a.txt', data: lines, method: 0 }]));
    const started = performance.now();
    const prepared = await within(h.client.datasets.prepare(id, { classes: ['x', 'y'] }), 'prepare');
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(prepared.report.issues).toHaveLength(1000);
    expect(prepared.report.issues_truncated).toBe(999_000);
    expect(prepared.report.label_lines_invalid).toBe(1_000_000);
    expect(prepared.report.issues[999]).toMatchObject({ file: 'labels/train/a.txt', line: 1000, code: 'wrong_column_count' });
    expect(preparedLabel(id, 'labels/train/a.txt')).toBe('');
  });

  test('rejects a label file over the 16 MiB read cap with 413 entry_too_large, naming it', async () => {
    const big = Buffer.alloc(16 * 1024 * 1024 + 1, 0x20);
    const id = await h.upload(craftZip([{ name: 'images/train/a.jpg', data: jpeg }, { name: 'labels/train/a.txt', data: big, method: 0 }]));
    await h.expectPrepareRejected(id, { status: 413, code: 'entry_too_large', detail: '"labels/train/a.txt"' });
  });
});
