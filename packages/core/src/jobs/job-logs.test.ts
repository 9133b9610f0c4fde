import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { createFsBlobStore } from '../adapters/fs/fs-blob-store.js';
import { cleanLogLine, lastLinesOffset, readLastLogLines, readLogChunk } from './job-logs.js';

const dir = mkdtempSync(path.join(tmpdir(), 'yoloops-logs-'));
const blobs = createFsBlobStore(dir);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
async function log(content: string | Buffer): Promise<string> {
  const key = `jobs/log_${n++}.log`;
  await blobs.write(key, content);
  return key;
}

describe('cleanLogLine', () => {
  test.each([
    { given: 'abc  \t', want: 'abc' },
    { given: 'a\u0000b\ufffd', want: 'ab' },
    { given: '\u001b[32mok\u001b[0m ', want: '\u001b[32mok\u001b[0m' },
    { given: '   ', want: '' },
  ])('$given → $want', ({ given, want }) => expect(cleanLogLine(given)).toBe(want));
});

describe('readLogChunk', () => {
  test('splits \\n, \\r\\n and bare \\r, drops blanks and returns plain byte offsets', async () => {
    const key = await log('a\r\nb\rc\n\n  \nd\n');
    const chunk = await readLogChunk(blobs, key, 0);
    expect(chunk).toMatchObject({ lines: ['a', 'b', 'c', 'd'], offset: 13, size: 13 });
  });

  test('returns at most maxLines raw lines and continues from the returned offset', async () => {
    const key = await log(Array.from({ length: 120 }, (_, i) => `line ${i}\n`).join(''));
    const first = await readLogChunk(blobs, key, 0);
    expect(first.lines).toHaveLength(50);
    const second = await readLogChunk(blobs, key, first.offset);
    expect(second.lines[0]).toBe('line 50');
    const third = await readLogChunk(blobs, key, second.offset);
    expect(third.lines).toHaveLength(20);
    expect(await readLogChunk(blobs, key, third.offset)).toMatchObject({ lines: [], offset: third.offset });
  });

  test('holds back an unterminated last line until the log is final', async () => {
    const key = await log('done\npartial é');
    const chunk = await readLogChunk(blobs, key, 0);
    expect(chunk).toMatchObject({ lines: ['done'], offset: 5 });
    expect(await readLogChunk(blobs, key, 5)).toMatchObject({ lines: [], offset: 5 });
    expect(await readLogChunk(blobs, key, 5, { final: true })).toMatchObject({ lines: ['partial é'], offset: Buffer.byteLength('done\npartial é') });
  });

  test('never splits a UTF-8 character and answers bad or past-the-end offsets with the same offset', async () => {
    const key = await log('训练开始\n第二行\n');
    const chunk = await readLogChunk(blobs, key, 0);
    expect(chunk.lines).toEqual(['训练开始', '第二行']);
    for (const offset of [-1, 1.5, 10_000]) expect(await readLogChunk(blobs, key, offset)).toMatchObject({ lines: [], offset });
  });

  test('a missing log is no lines at the given offset', async () => {
    expect(await readLogChunk(blobs, 'jobs/none.log', 7)).toEqual({ lines: [], offset: 7, size: 0, exists: false });
  });
});

describe('readLastLogLines', () => {
  test('returns the last n non-blank lines with the total; 0 = all', async () => {
    const key = await log('a\n\nb\r\nc\rd');
    expect(await readLastLogLines(blobs, key, 2)).toEqual({ lines: ['c', 'd'], total: 4, exists: true });
    expect(await readLastLogLines(blobs, key, 0)).toEqual({ lines: ['a', 'b', 'c', 'd'], total: 4, exists: true });
    expect(await readLastLogLines(blobs, 'jobs/none.log', 5)).toEqual({ lines: [], total: 0, exists: false });
  });
});

describe('lastLinesOffset', () => {
  test('is where the last n raw lines start', async () => {
    const key = await log('1\n2\n3\n4\n');
    expect(await lastLinesOffset(blobs, key, 2)).toBe(4);
    expect(await lastLinesOffset(blobs, key, 10)).toBe(0);
  });
});
