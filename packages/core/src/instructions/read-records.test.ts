import { describe, expect, test } from 'vitest';
import type { InstructionFileFormat } from './instruction.schema.js';
import { readRecords, type RawRecord } from './read-records.js';

/** The bytes of `text` in chunks of `size` bytes (1 splits every multi-byte character). */
async function* chunks(text: string | Buffer, size: number): AsyncGenerator<Buffer> {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

async function readAll(text: string | Buffer, format: InstructionFileFormat, o: { chunk?: number; maxRecordBytes?: number } = {}): Promise<RawRecord[]> {
  const out: RawRecord[] = [];
  for await (const batch of readRecords(chunks(text, o.chunk ?? 65536), format, { maxRecordBytes: o.maxRecordBytes ?? 1 << 20 })) out.push(...batch);
  return out;
}

describe('readRecords: JSON Lines', () => {
  const file = '\ufeff{"instruction":"你好","output":"世界"}\r\n\n  \n{"bad": }\n[1]\n{"instruction":"last","output":"no newline"}';
  const want: RawRecord[] = [
    { index: 0, line: 1, value: { instruction: '你好', output: '世界' } },
    { index: 1, line: 4, problem: { code: 'bad_json', message: expect.stringMatching(/^line 4 is not valid JSON: /) as unknown as string } },
    { index: 2, line: 5, value: [1] },
    { index: 3, line: 6, value: { instruction: 'last', output: 'no newline' } },
  ];
  test.each([1, 2, 3, 7, 65536])('gives records with line numbers (BOM, CRLF, blank lines, bad JSON, last line unterminated) in %i-byte chunks', async (chunk) => {
    expect(await readAll(file, 'jsonl', { chunk })).toEqual(want);
  });

  test('a line over the record cap is a problem of its own, and the next line is read', async () => {
    const file = `{"instruction":"${'x'.repeat(100)}"}\n{"instruction":"ok"}\n${'y'.repeat(300)}`;
    const got = await readAll(file, 'jsonl', { chunk: 16, maxRecordBytes: 64 });
    expect(got).toEqual([
      { index: 0, line: 1, problem: { code: 'bad_json', message: 'line 1 is longer than the 64 byte limit for one record' } },
      { index: 1, line: 2, value: { instruction: 'ok' } },
      { index: 2, line: 3, problem: { code: 'bad_json', message: 'line 3 is longer than the 64 byte limit for one record' } },
    ]);
  });

  test('a long line nesting deeper than 64 levels is bad JSON, without building its objects', async () => {
    const deep = `{"instruction":"q","output":"a","history":${'['.repeat(40_000)}${']'.repeat(40_000)}}`;
    const shallow = `{"instruction":"${'x'.repeat(70_000)}","output":"[[[[{{{{"}`;
    const got = await readAll(`${deep}\n${shallow}\n`, 'jsonl');
    expect(got[0]).toEqual({ index: 0, line: 1, problem: { code: 'bad_json', message: 'line 1 is not valid JSON: it nests deeper than 64 levels' } });
    expect(got[1]).toMatchObject({ index: 1, line: 2, value: { output: '[[[[{{{{' } });
  });

  test('an empty file has no records', async () => {
    expect(await readAll('', 'jsonl')).toEqual([]);
  });
});

describe('readRecords: JSON array', () => {
  test.each([1, 5, 65536])('gives each element with its index, whatever its type, in %i-byte chunks', async (chunk) => {
    const file = '\ufeff [ {"instruction":"ä","output":"ö\\n"}, "text", {"conversations":[]} ] \n';
    expect(await readAll(file, 'json', { chunk })).toEqual([
      { index: 0, value: { instruction: 'ä', output: 'ö\n' } },
      { index: 1, value: 'text' },
      { index: 2, value: { conversations: [] } },
    ]);
  });

  const fatal: { name: string; given: string; want: RegExp; maxRecordBytes?: number }[] = [
    { name: 'a top-level object', given: '{"data": [{"instruction": "q"}]}', want: /expected a JSON array of records at the top level, found an object \(for one record per line use format jsonl/ },
    { name: 'JSON Lines uploaded as json', given: '{"a":1}\n{"a":2}\n', want: /found an object/ },
    { name: 'a top-level string', given: '"hello"', want: /expected a JSON array of records at the top level, found "hello"/ },
    { name: 'a truncated array', given: '[{"instruction":"q","output":"a"},', want: /ends before the top-level array is closed/ },
    { name: 'a syntax error', given: '[{"instruction": nul}]', want: /^invalid JSON: Unexpected/ },
    { name: 'trailing garbage', given: '[] x', want: /^invalid JSON: Unexpected "x"/ },
    { name: 'only whitespace', given: ' \n ', want: /holds no JSON/ },
    { name: 'an element nesting deeper than 64 levels', given: `[{"a":1},${'['.repeat(100)}${']'.repeat(100)}]`, want: /array element 1 nests deeper than 64 levels/ },
    { name: 'an element over the record cap', given: `[{"a":1},{"instruction":"${'x'.repeat(200)}"}]`, want: /array element 1 is larger than the 64 byte limit/, maxRecordBytes: 64 },
  ];
  test.each(fatal)('rejects $name', async ({ given, want, maxRecordBytes }) => {
    await expect(readAll(given, 'json', { chunk: 8, ...(maxRecordBytes === undefined ? {} : { maxRecordBytes }) })).rejects.toThrow(want);
  });
});

describe('readRecords: CSV', () => {
  test.each([1, 4, 65536])('gives rows keyed by the header with their line, malformed rows as problems, in %i-byte chunks', async (chunk) => {
    const file = '\ufeffinstruction,input,output\n你好,,世界\n"a,b","",c\n\nx,y\n"multi\nline",i,o\nlast,,row';
    expect(await readAll(file, 'csv', { chunk })).toEqual([
      { index: 0, line: 2, value: { instruction: '你好', input: '', output: '世界' } },
      { index: 1, line: 3, value: { instruction: 'a,b', input: '', output: 'c' } },
      { index: 2, line: 5, problem: { code: 'bad_csv_row', message: expect.stringMatching(/Invalid Record Length: columns length is 3, got 2 on line 5/) as unknown as string } },
      { index: 3, line: 7, value: { instruction: 'multi\nline', input: 'i', output: 'o' } },
      { index: 4, line: 8, value: { instruction: 'last', input: '', output: 'row' } },
    ]);
  });

  test('accepts a response column as the origin did', async () => {
    expect(await readAll('instruction,response\nq,a\n', 'csv')).toEqual([{ index: 0, line: 2, value: { instruction: 'q', response: 'a' } }]);
  });

  test('rejects a header without instruction and output columns, naming what it found', async () => {
    await expect(readAll('question,answer\nq,a\n', 'csv')).rejects.toThrow(/must name an instruction column and an output \(or response\) column; found "question", "answer"/);
  });

  test('rejects a row over the record cap', async () => {
    await expect(readAll(`instruction,output\nq,${'x'.repeat(300)}\nq,a\n`, 'csv', { maxRecordBytes: 64 })).rejects.toThrow(/CSV row ending on line 2 is larger than the 64 byte limit/);
  });
});
