import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, test } from 'vitest';
import { multipartBody, multipartParts, type UploadProgress, type UploadSource } from './multipart.js';

const dir = mkdtempSync(path.join(tmpdir(), 'yoloops-multipart-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function encode(field: string, source: UploadSource, fields?: Record<string, string>, onProgress?: (p: UploadProgress) => void) {
  const body = await multipartBody(field, source, fields, onProgress);
  const chunks: Buffer[] = [];
  for await (const chunk of body.body) chunks.push(Buffer.from(chunk as Uint8Array));
  const boundary = body.contentType.match(/^multipart\/form-data; boundary=(.+)$/)?.[1];
  return { ...body, bytes: Buffer.concat(chunks), boundary: boundary! };
}

/** The body a correct encoder must produce for one file part after string fields. */
const expected = (boundary: string, parts: { fields?: [string, string][]; field: string; filename: string; data: Buffer }) =>
  Buffer.concat([
    Buffer.from(
      (parts.fields ?? []).map(([n, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${n}"\r\n\r\n${v}\r\n`).join('') +
        `--${boundary}\r\nContent-Disposition: form-data; name="${parts.field}"; filename="${parts.filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    ),
    parts.data,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);

describe('multipartBody', () => {
  test('encodes string fields then the file, byte for byte, with a matching Content-Length', async () => {
    const data = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0xff, 0x0d, 0x0a]);
    const body = await encode('file', { data, filename: 'coco8.zip' }, { conf: '0.25', model_ids: 'm1,m2' });
    expect(body.boundary).toMatch(/^----yoloops[0-9a-f]{24}$/);
    expect(body.bytes.equals(expected(body.boundary, { fields: [['conf', '0.25'], ['model_ids', 'm1,m2']], field: 'file', filename: 'coco8.zip', data }))).toBe(true);
    expect(body.contentLength).toBe(body.bytes.length);
  });

  test('draws a new boundary for every body', async () => {
    const a = await encode('file', { data: Buffer.from('x'), filename: 'a.zip' });
    const b = await encode('file', { data: Buffer.from('x'), filename: 'a.zip' });
    expect(a.boundary).not.toBe(b.boundary);
  });

  test.each([
    { name: 'a double quote', filename: 'my "best" set.zip', sent: 'my _best_ set.zip' },
    { name: 'CR and LF (header injection)', filename: 'a.zip"\r\nContent-Type: text/html\r\n\r\nx', sent: 'a.zip___Content-Type: text/html____x' },
    { name: 'a backslash', filename: 'C\\data\\set.zip', sent: 'C_data_set.zip' },
  ])('replaces $name in the filename so the header stays one quoted string', async ({ filename, sent }) => {
    const body = await encode('file', { data: Buffer.from('z'), filename });
    const text = body.bytes.toString('utf8');
    expect(text).toContain(`name="file"; filename="${sent}"\r\nContent-Type: application/octet-stream\r\n\r\nz`);
    expect(text.split('\r\n').filter((line) => line.startsWith('Content-Type:'))).toEqual(['Content-Type: application/octet-stream']);
  });

  test('quotes field names the same way', async () => {
    const body = await encode('fi"le\r\n', { data: Buffer.from('z'), filename: 'a.zip' }, { 'na"me': 'v' });
    const text = body.bytes.toString('utf8');
    expect(text).toContain('name="na_me"\r\n\r\nv\r\n');
    expect(text).toContain('name="fi_le__"; filename="a.zip"');
  });

  test('writes a non-ASCII filename as UTF-8, as browsers do, and counts its bytes in Content-Length', async () => {
    const body = await encode('file', { data: Buffer.from('z'), filename: 'données.zip' });
    expect(body.bytes.includes(Buffer.from('filename="données.zip"', 'utf8'))).toBe(true);
    expect(body.contentLength).toBe(body.bytes.length);
  });

  test('reads a path: basename as filename, the file\'s bytes and size', async () => {
    const file = path.join(dir, 'from-disk.zip');
    const data = Buffer.alloc(200_000, 7);
    writeFileSync(file, data);
    const body = await encode('file', file);
    expect(body.bytes.equals(expected(body.boundary, { field: 'file', filename: 'from-disk.zip', data }))).toBe(true);
    expect(body.contentLength).toBe(body.bytes.length);
    const renamed = await encode('file', { path: file, filename: 'other.zip' });
    expect(renamed.bytes.includes(Buffer.from('filename="other.zip"'))).toBe(true);
  });

  test('reads a stream, with Content-Length only when its size is given', async () => {
    const parts = [Buffer.from('abc'), Buffer.from('defgh'), Buffer.from('ij')];
    const sized = await encode('file', { stream: Readable.from(parts), filename: 's.zip', size: 10 });
    expect(sized.bytes.equals(expected(sized.boundary, { field: 'file', filename: 's.zip', data: Buffer.concat(parts) }))).toBe(true);
    expect(sized.contentLength).toBe(sized.bytes.length);
    async function* generate() {
      yield* parts;
    }
    const unsized = await encode('file', { stream: generate(), filename: 's.zip' });
    expect(unsized.contentLength).toBeUndefined();
    expect(unsized.bytes.equals(expected(unsized.boundary, { field: 'file', filename: 's.zip', data: Buffer.concat(parts) }))).toBe(true);
  });

  test('reports progress per file chunk, increasing and ending at the file size', async () => {
    const seen: UploadProgress[] = [];
    const parts = [Buffer.alloc(3), Buffer.alloc(5), Buffer.alloc(2)];
    await encode('file', { stream: Readable.from(parts), filename: 's.zip', size: 10 }, {}, (p) => seen.push(p));
    expect(seen).toEqual([{ sentBytes: 3, totalBytes: 10 }, { sentBytes: 8, totalBytes: 10 }, { sentBytes: 10, totalBytes: 10 }]);
  });

  test('reports progress of a file on disk read in several chunks, ending at its size', async () => {
    const file = path.join(dir, 'big.zip');
    writeFileSync(file, Buffer.alloc(300_000, 1));
    const seen: number[] = [];
    await encode('file', file, {}, (p) => {
      expect(p.totalBytes).toBe(300_000);
      seen.push(p.sentBytes);
    });
    expect(seen.length).toBeGreaterThan(1);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.at(-1)).toBe(300_000);
  });
});

describe('multipartParts', () => {
  test('several files (a repeated field) after the string fields: byte for byte, one Content-Length, progress over all files', async () => {
    const a = Buffer.from('first image bytes');
    const b = Buffer.from([0xff, 0xd8, 0xff, 0x0d, 0x0a, 0x2d, 0x2d]);
    const progress: UploadProgress[] = [];
    const body = await multipartParts([{ field: 'files', source: { data: a, filename: 'a.jpg' } }, { field: 'files', source: { data: b, filename: 'b.jpg' } }], { model_ids: 'm1' }, (p) => progress.push(p));
    const chunks: Buffer[] = [];
    for await (const chunk of body.body) chunks.push(Buffer.from(chunk as Uint8Array));
    const bytes = Buffer.concat(chunks);
    const boundary = body.contentType.split('boundary=')[1]!;
    const part = (name: string, filename: string, data: Buffer, first: boolean) => Buffer.concat([
      Buffer.from(`${first ? '' : '\r\n'}--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`), data,
    ]);
    const want = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="model_ids"\r\n\r\nm1\r\n`),
      part('files', 'a.jpg', a, true), part('files', 'b.jpg', b, false), Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    expect(bytes.equals(want)).toBe(true);
    expect(body.contentLength).toBe(bytes.length);
    expect(progress.at(-1)).toEqual({ sentBytes: a.length + b.length, totalBytes: a.length + b.length });
  });

  test('no files at all still ends the body (fields only)', async () => {
    const body = await multipartParts([], { model_ids: 'm1' });
    const chunks: Buffer[] = [];
    for await (const chunk of body.body) chunks.push(Buffer.from(chunk as Uint8Array));
    const boundary = body.contentType.split('boundary=')[1]!;
    expect(Buffer.concat(chunks).toString()).toBe(`--${boundary}\r\nContent-Disposition: form-data; name="model_ids"\r\n\r\nm1\r\n--${boundary}--\r\n`);
  });
});
