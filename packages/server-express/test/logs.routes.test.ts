import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTrainingServer, waitFor, type TrainingServer } from './support/training.js';

let t: TrainingServer;
let fake = 0;
/** A log file for a job id the store does not know (tail and lines read files only; the stream ends at once). */
function writeLog(content: string | Buffer): string {
  const id = `job_fake_${fake++}`;
  mkdirSync(path.join(t.dataDir, 'jobs'), { recursive: true });
  writeFileSync(path.join(t.dataDir, 'jobs', `${id}.log`), content);
  return id;
}
const numbered = (count: number) => Array.from({ length: count }, (_, i) => `line ${i + 1}\n`).join('');

/** Reads an SSE response to its end (or until `stopAfter` events) and returns the `data:` payloads. */
async function readSse(url: string, options: { stopAfter?: number; timeoutMs?: number } = {}): Promise<{ events: string[]; comments: string[]; contentType: string | undefined; ended: boolean }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 20_000);
  const res = await request(url, { signal: controller.signal });
  const events: string[] = [];
  const comments: string[] = [];
  let buffer = '';
  let ended = false;
  try {
    for await (const chunk of res.body) {
      buffer += (chunk as Buffer).toString('utf8');
      let at: number;
      while ((at = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        for (const line of block.split('\n')) {
          if (line.startsWith('data: ')) events.push(line.slice(6));
          else if (line.startsWith(':')) comments.push(line);
        }
      }
      if (options.stopAfter !== undefined && events.length >= options.stopAfter) {
        controller.abort();
        return { events, comments, contentType: res.headers['content-type'] as string, ended: false };
      }
    }
    ended = true;
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
  }
  return { events, comments, contentType: res.headers['content-type'] as string, ended };
}

beforeAll(async () => {
  t = await startTrainingServer({ epochMs: 150 });
}, 30_000);
afterAll(async () => t?.close());

describe('GET /logs/tail', () => {
  test('walks a log in ≤50-line steps with plain byte offsets, universal newlines and cleaned lines', async () => {
    const content = Buffer.from(`${numbered(60)}progress 1\rprogress 2\r\n\u0000训练 ok  \n\n   \nlast\n`);
    const id = writeLog(content);
    const first = await t.get(`/logs/tail?job_id=${id}&offset=0`);
    expect(first.status).toBe(200);
    expect(first.json.lines).toHaveLength(50);
    expect(first.json.offset).toBe(Buffer.byteLength(numbered(50)));
    const second = await t.get(`/logs/tail?job_id=${id}&offset=${first.json.offset}`);
    expect(second.json.lines).toEqual([...Array.from({ length: 10 }, (_, i) => `line ${i + 51}`), 'progress 1', 'progress 2', '训练 ok', 'last']);
    expect(second.json).toMatchObject({ offset: content.length, size: content.length, eof: true });
    expect((await t.get(`/logs/tail?job_id=${id}&offset=${content.length}`)).json).toMatchObject({ lines: [], offset: content.length });
  });

  test('a mid-line offset returns the rest of that line; bad and missing cases answer the given offset', async () => {
    const id = writeLog('abcdef\nxyz\n');
    expect((await t.get(`/logs/tail?job_id=${id}&offset=3`)).json).toMatchObject({ lines: ['def', 'xyz'], offset: 11 });
    expect((await t.get(`/logs/tail?job_id=${id}&offset=-5`)).json).toMatchObject({ lines: [], offset: -5 });
    expect((await t.get('/logs/tail?job_id=job_none&offset=7')).json).toEqual({ lines: [], offset: 7, size: 0, eof: true, error: 'Log file not found' });
    expect((await t.get(`/logs/tail?offset=0`)).status).toBe(422);
    expect((await t.get(`/logs/tail?job_id=../etc&offset=0`)).status).toBe(422);
  });
});

describe('GET /logs/lines', () => {
  test('returns the last n non-blank lines with total and returned; 0 = all', async () => {
    const id = writeLog(`${numbered(120)}\n\n`);
    expect((await t.get(`/logs/lines?job_id=${id}&n=2`)).json).toEqual({ lines: ['line 119', 'line 120'], total: 120, returned: 2 });
    const all = (await t.get(`/logs/lines?job_id=${id}&n=0`)).json;
    expect(all).toMatchObject({ total: 120, returned: 120 });
    expect((await t.get(`/logs/lines?job_id=${id}`)).json.returned).toBe(100);
    expect((await t.get('/logs/lines?job_id=job_none&n=5')).json).toEqual({ lines: [], total: 0, returned: 0, error: 'Log file not found' });
  });
});

describe('GET /logs/stream', () => {
  test('starts with the last 50 lines of an existing log and closes when there is no live job', async () => {
    const id = writeLog(numbered(120));
    const { events, contentType, ended } = await readSse(`${t.url}/logs/stream?job_id=${id}`);
    expect(contentType).toBe('text/event-stream; charset=utf-8');
    expect(ended).toBe(true);
    expect(events).toEqual(Array.from({ length: 50 }, (_, i) => `line ${i + 71}`));
  });

  test('follows a running job line by line and closes after it completes, with nothing repeated', async () => {
    const { json } = await t.post('/train/jobs', { dataset_id: t.datasetId, epochs: 6, imgsz: 320 });
    const { events, ended } = await readSse(`${t.url}/train/jobs/${json.job_id}/logs/stream`);
    expect(ended).toBe(true);
    expect((await t.get(`/train/jobs/${json.job_id}`)).json.status).toBe('completed');
    const epochs = events.filter((e) => /\d+\/6\s/.test(e)).map((e) => Number(/(\d+)\/6/.exec(e)![1]));
    expect(epochs).toEqual([1, 2, 3, 4, 5, 6]);
    expect(events.at(-1)).toMatch(/^Results saved to /);
    expect(events).toEqual((await t.get(`/logs/lines?job_id=${json.job_id}&n=0`)).json.lines);
  }, 30_000);

  test('a client that goes away mid-stream does not disturb the job or the server', async () => {
    const { json } = await t.post('/train/jobs', { dataset_id: t.datasetId, epochs: 4, imgsz: 320 });
    const partial = await readSse(`${t.url}/logs/stream?job_id=${json.job_id}`, { stopAfter: 1 });
    expect(partial.events.length).toBeGreaterThanOrEqual(1);
    const done = await waitFor(async () => (await t.get(`/train/jobs/${json.job_id}`)).json, (j) => j.status === 'completed' || j.status === 'failed', 20_000);
    expect(done.status).toBe('completed');
  }, 30_000);

  test('says "Log file not found" for a job id with no log and no job', async () => {
    const { events, ended } = await readSse(`${t.url}/logs/stream?job_id=job_absent`);
    expect({ events, ended }).toEqual({ events: ['Log file not found'], ended: true });
  });
});
