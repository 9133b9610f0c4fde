import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { MockAgent } from 'undici';
import { afterAll, afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createClient, type YoloopsClient } from './client.js';
import { YoloopsApiError } from './errors.js';
import type { UploadProgress } from './multipart.js';

const ORIGIN = 'http://api.test';
const JSON_HEADERS = { 'content-type': 'application/json' };
const dir = mkdtempSync(path.join(tmpdir(), 'yoloops-client-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Seen {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

async function readBody(body: unknown): Promise<Buffer> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string' || body instanceof Uint8Array) return Buffer.from(body);
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array | string>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

let agent: MockAgent;
let api: YoloopsClient;
let seen: Seen[];

/** Answers the next request to `ORIGIN` (any path, any method) and records what the client sent. */
function reply(status: number, data: unknown = {}, headers: Record<string, string> = JSON_HEADERS) {
  agent
    .get(ORIGIN)
    .intercept({ path: () => true, method: () => true })
    .reply(status, async (opts) => {
      const { method, path: p, headers: h, body } = opts as unknown as { method: string; path: string; headers: Record<string, string>; body: unknown };
      seen.push({ method, path: p, headers: Object.fromEntries(Object.entries(h ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)])), body: await readBody(body) });
      return typeof data === 'string' || Buffer.isBuffer(data) ? data : JSON.stringify(data);
    }, { headers });
}
const last = () => seen.at(-1)!;

beforeEach(() => {
  agent = new MockAgent();
  agent.disableNetConnect();
  api = createClient({ baseUrl: ORIGIN, dispatcher: agent });
  seen = [];
});
afterEach(async () => {
  await agent.close();
});

describe('URL building', () => {
  test('percent-encodes a path parameter, "/" included', async () => {
    reply(200, { dataset_id: 'a b/c' });
    await api.datasets.get('a b/c');
    expect(last()).toMatchObject({ method: 'GET', path: '/datasets/a%20b%2Fc' });
  });

  test('percent-encodes "#", "?", "%" and non-ASCII letters in every path parameter', async () => {
    reply(200, { boxes: [] });
    await api.annotations.getItem('task 1', 'x#?%é');
    expect(last().path).toBe('/annotations/tasks/task%201/items/x%23%3F%25%C3%A9');
  });

  test('encodes query parameters', async () => {
    reply(400, { detail: 'Only yolo format is supported' });
    await api.annotations.exportYolo('t1', 'a b&c=d').catch(() => undefined);
    expect(last().path).toBe('/annotations/tasks/t1/export?format=a+b%26c%3Dd');
  });

  test('leaves out query parameters that are undefined or null', async () => {
    reply(200, {});
    await api.request('get', '/annotations/tasks/{task_id}/export', { params: { task_id: 't' }, query: { format: undefined } });
    expect(last().path).toBe('/annotations/tasks/t/export');
  });

  test('sends version=v1 by default on dataset exports', async () => {
    reply(200, Buffer.from('PK'), { 'content-type': 'application/zip' });
    await api.datasets.exportOriginal('ds_1');
    expect(last().path).toBe('/datasets/ds_1/export/original?version=v1');
  });

  test('keeps a base URL\'s path prefix and drops its trailing slashes', async () => {
    const prefixed = createClient({ baseUrl: `${ORIGIN}/prod-api//`, dispatcher: agent });
    reply(200, { datasets: [] });
    await prefixed.datasets.list();
    expect(last().path).toBe('/prod-api/datasets');
  });

  test('throws a TypeError naming a missing path parameter, before any request', async () => {
    await expect(api.request('get', '/datasets/{dataset_id}', { params: {} as never })).rejects.toThrow(/missing path parameter dataset_id/);
    expect(seen).toEqual([]);
  });

  test('sends the configured headers and asks for JSON', async () => {
    const withAuth = createClient({ baseUrl: ORIGIN, dispatcher: agent, headers: { authorization: 'Bearer t0k' } });
    reply(200, { status: 'ok' });
    expect(await withAuth.system.health()).toEqual({ status: 'ok' });
    expect(last().headers).toMatchObject({ authorization: 'Bearer t0k', accept: 'application/json' });
  });
});

describe('JSON bodies', () => {
  test('sends {} with a JSON content type when prepare gets no options', async () => {
    reply(200, { status: 'prepared' });
    await api.datasets.prepare('ds_1');
    expect(last()).toMatchObject({ method: 'POST', path: '/datasets/ds_1/prepare', headers: { 'content-type': 'application/json' } });
    expect(last().body.toString()).toBe('{}');
  });

  test('sends the body as given, nulls included', async () => {
    reply(200, { dataset_id: 'ds_1' });
    await api.datasets.update('ds_1', { description: null, tags: ['a', 'é'] });
    expect(last().method).toBe('PUT');
    expect(JSON.parse(last().body.toString())).toEqual({ description: null, tags: ['a', 'é'] });
  });

  test('sends boxes under "boxes" when saving an item', async () => {
    reply(200, { ok: true });
    await api.annotations.saveItem('t', 'a', [{ class_id: 1, x1: 0.5, y1: 1, x2: 2, y2: 3 }]);
    expect(JSON.parse(last().body.toString())).toEqual({ boxes: [{ class_id: 1, x1: 0.5, y1: 1, x2: 2, y2: 3 }] });
  });

  test('sends no body and no content type on GET and DELETE', async () => {
    reply(200, { datasets: [] });
    reply(200, { ok: true, message: 'Dataset ds_1 deleted' });
    await api.datasets.list();
    expect(await api.datasets.delete('ds_1')).toEqual({ ok: true, message: 'Dataset ds_1 deleted' });
    for (const s of seen) {
      expect(s.body.length).toBe(0);
      expect(s.headers).not.toHaveProperty('content-type');
    }
    expect(seen.map((s) => s.method)).toEqual(['GET', 'DELETE']);
  });
});

describe('errors', () => {
  test('turns a {detail, code} answer into YoloopsApiError', async () => {
    reply(404, { detail: 'Dataset not found', code: 'not_found' });
    const error = await api.datasets.get('ds_x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(YoloopsApiError);
    expect(error).toMatchObject({ status: 404, detail: 'Dataset not found', code: 'not_found' });
  });

  test('turns a FastAPI validation list into a readable detail', async () => {
    reply(422, { detail: [{ type: 'missing', loc: ['body', 'dataset_id'], msg: 'Field required', input: {} }] });
    await expect(api.annotations.createTask({ dataset_id: '' })).rejects.toMatchObject({ status: 422, detail: 'body.dataset_id: Field required' });
  });

  test('keeps a plain-text 500 body as the detail', async () => {
    reply(500, 'Internal Server Error', { 'content-type': 'text/plain; charset=utf-8' });
    await expect(api.datasets.list()).rejects.toMatchObject({ status: 500, detail: 'Internal Server Error', code: undefined, body: 'Internal Server Error' });
  });

  test('maps the errors of uploads and downloads too', async () => {
    reply(400, { detail: 'Only zip files are allowed', code: 'not_zip' });
    await expect(api.datasets.upload({ data: Buffer.from('x'), filename: 'x.txt' })).rejects.toMatchObject({ status: 400, code: 'not_zip' });
    reply(404, { detail: 'Dataset not found', code: 'not_found' });
    await expect(api.datasets.exportAnnotated('ds_x')).rejects.toMatchObject({ status: 404, detail: 'Dataset not found' });
  });
});

describe('upload', () => {
  const boundaryOf = (s: Seen) => s.headers['content-type']?.match(/^multipart\/form-data; boundary=(.+)$/)?.[1];
  const filePart = (boundary: string, filename: string, data: Buffer) =>
    Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
      data,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);

  test('POSTs bytes as multipart field "file" with the exact body and Content-Length', async () => {
    reply(200, { dataset_id: 'ds_1', status: 'uploaded' });
    const data = Buffer.from('PK\x03\x04 zip bytes \r\n--', 'latin1');
    expect(await api.datasets.upload({ data, filename: 'set.zip' })).toEqual({ dataset_id: 'ds_1', status: 'uploaded' });
    const s = last();
    expect(s).toMatchObject({ method: 'POST', path: '/datasets/upload' });
    const boundary = boundaryOf(s)!;
    expect(s.body.equals(filePart(boundary, 'set.zip', data))).toBe(true);
    expect(s.headers['content-length']).toBe(String(s.body.length));
  });

  test('uploads a file from a path under its base name', async () => {
    const file = path.join(dir, 'on-disk.zip');
    const data = Buffer.alloc(150_000, 3);
    writeFileSync(file, data);
    reply(200, { dataset_id: 'ds_2' });
    await api.datasets.upload(file);
    expect(last().body.equals(filePart(boundaryOf(last())!, 'on-disk.zip', data))).toBe(true);
    expect(last().headers['content-length']).toBe(String(last().body.length));
  });

  test('uploads a stream of unknown size without Content-Length', async () => {
    reply(200, { dataset_id: 'ds_3' });
    const parts = [Buffer.from('one'), Buffer.from('two')];
    await api.datasets.upload({ stream: Readable.from(parts), filename: 'stream.zip' });
    expect(last().body.equals(filePart(boundaryOf(last())!, 'stream.zip', Buffer.concat(parts)))).toBe(true);
    expect(last().headers).not.toHaveProperty('content-length');
  });

  test('reports progress that only grows and ends at the file size', async () => {
    reply(200, { dataset_id: 'ds_4' });
    const parts = Array.from({ length: 5 }, (_, i) => Buffer.alloc(1000 + i, i));
    const size = parts.reduce((n, p) => n + p.length, 0);
    const progress: UploadProgress[] = [];
    await api.datasets.upload({ stream: Readable.from(parts), filename: 'p.zip', size }, { onProgress: (p) => progress.push(p) });
    const sent = progress.map((p) => p.sentBytes);
    expect(sent).toHaveLength(5);
    sent.slice(1).forEach((n, i) => expect(n).toBeGreaterThan(sent[i]!));
    expect(sent.at(-1)).toBe(size);
    expect(progress.every((p) => p.totalBytes === size)).toBe(true);
  });
});

describe('download', () => {
  const zipBytes = Buffer.from('PK\x05\x06' + '\0'.repeat(18), 'latin1');

  test('returns the bytes of a dataset export', async () => {
    reply(200, zipBytes, { 'content-type': 'application/zip' });
    const bytes = await api.datasets.exportAnnotated('ds_1', { version: 'v2' });
    expect(Buffer.from(bytes).equals(zipBytes)).toBe(true);
    expect(last().path).toBe('/datasets/ds_1/export/annotated?version=v2');
  });

  test('writes the export to saveTo', async () => {
    reply(200, zipBytes, { 'content-type': 'application/zip' });
    const target = path.join(dir, 'saved.zip');
    await api.datasets.exportOriginal('ds_1', { saveTo: target });
    expect(readFileSync(target).equals(zipBytes)).toBe(true);
  });

  test('creates no file when the export fails', async () => {
    reply(404, { detail: 'Dataset not found', code: 'not_found' });
    const target = path.join(dir, 'never.zip');
    await expect(api.datasets.exportAnnotated('ds_x', { saveTo: target })).rejects.toBeInstanceOf(YoloopsApiError);
    expect(existsSync(target)).toBe(false);
  });

  test('fetches /static/<image_path> with each segment encoded and the slashes kept', async () => {
    reply(200, Buffer.from([0xff, 0xd8]), { 'content-type': 'image/jpeg' });
    const bytes = await api.staticFile('datasets/ds_1/v1/images/train/my photo #1.jpg');
    expect([...bytes]).toEqual([0xff, 0xd8]);
    expect(last().path).toBe('/static/datasets/ds_1/v1/images/train/my%20photo%20%231.jpg');
  });
});

describe('close', () => {
  test('leaves a dispatcher the caller passed in open', async () => {
    await api.close();
    reply(200, { status: 'ok' });
    expect(await api.system.health()).toEqual({ status: 'ok' });
  });
});

describe('bearer token', () => {
  test('sends no Authorization header without a token', async () => {
    reply(200, { status: 'ok' });
    await api.system.health();
    expect(last().headers.authorization).toBeUndefined();
  });

  test('sends the token of the options, then the one setToken gives, then none', async () => {
    const authed = createClient({ baseUrl: ORIGIN, dispatcher: agent, token: 'tok-1' });
    reply(200, []);
    await authed.datasets.list();
    expect(last().headers.authorization).toBe('Bearer tok-1');
    authed.setToken('tok-2');
    reply(200, []);
    await authed.models.list();
    expect(last().headers.authorization).toBe('Bearer tok-2');
    expect(authed.getToken()).toBe('tok-2');
    authed.setToken(undefined);
    reply(200, []);
    await authed.models.list();
    expect(last().headers.authorization).toBeUndefined();
  });

  test('the token reaches uploads and downloads too', async () => {
    const authed = createClient({ baseUrl: ORIGIN, dispatcher: agent, token: 'tok-3' });
    reply(200, Buffer.from([1]), { 'content-type': 'application/zip' });
    await authed.models.export('model_1');
    expect(last().headers.authorization).toBe('Bearer tok-3');
    reply(200, { dataset_id: 'ds_1' });
    await authed.datasets.upload({ data: Buffer.from('PK'), filename: 'a.zip' });
    expect(last().headers.authorization).toBe('Bearer tok-3');
  });

  test('a 204 answer resolves to undefined', async () => {
    reply(204, '');
    await expect(api.training.delete('job_1')).resolves.toBeUndefined();
  });
});
