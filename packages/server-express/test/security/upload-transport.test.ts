import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectRejection, filesUnder, Harness, rawRequest, type RawResponse } from './harness.js';
import { coco8Zip } from './payloads.js';

const BOUNDARY = '----yoloops-security-boundary';
const MULTIPART = `multipart/form-data; boundary=${BOUNDARY}`;

/** A multipart body: `file` parts with a filename, other parts as text fields. */
function multipart(parts: { name: string; filename?: string; data: Buffer | string }[], options: { close?: boolean } = {}): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition = `form-data; name="${p.name}"${p.filename === undefined ? '' : `; filename="${p.filename}"`}`;
    chunks.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: ${disposition}\r\nContent-Type: application/octet-stream\r\n\r\n`));
    chunks.push(Buffer.from(p.data), Buffer.from('\r\n'));
  }
  if (options.close !== false) chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(chunks);
}

const postUpload = (h: Harness, body: Buffer | string, contentType = MULTIPART): Promise<RawResponse> =>
  rawRequest(h.url, { method: 'POST', path: '/datasets/upload', headers: { 'content-type': contentType, 'content-length': Buffer.byteLength(body) }, body });

const asRejection = (res: RawResponse) => ({ status: res.status, detail: res.json?.detail, code: res.json?.code, body: res.body.toString('latin1') });

/** Polls until `check` passes (the server cleans up after a client goes away asynchronously). */
async function eventually(check: () => void, ms = 3000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return check();
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

/** Sends the head of a multipart upload and `sent` bytes of `file`, waits `waitFor`, then destroys the socket. */
async function abortUpload(h: Harness, o: { filename: string; file: Buffer; sent: number; waitFor: () => Promise<void> }): Promise<void> {
  const body = multipart([{ name: 'file', filename: o.filename, data: o.file }]);
  const headEnd = body.indexOf(o.file);
  const { hostname, port } = new URL(h.url);
  const req = httpRequest({ host: hostname, port, method: 'POST', path: '/datasets/upload', agent: false, headers: { 'content-type': MULTIPART, 'content-length': body.length } });
  req.on('error', () => {}); // we are the ones breaking the connection
  req.on('response', (res) => res.resume());
  req.write(body.subarray(0, headEnd + o.sent));
  await o.waitFor();
  req.destroy();
}

let h: Harness;
beforeAll(async () => {
  h = await Harness.start();
});
afterAll(async () => h.close());

describe('POST /datasets/upload', () => {
  test('rejects a file that is not named .zip with 400 not_zip, naming it', async () => {
    await h.expectUploadRejected(coco8Zip(), { status: 400, code: 'not_zip', detail: '"dataset.tar"' }, { filename: 'dataset.tar' });
  });

  test('rejects a body without the "file" field with 422 missing_file', async () => {
    const before = h.snapshot();
    const res = await postUpload(h, multipart([{ name: 'other', data: 'x' }, { name: 'upload', filename: 'a.zip', data: coco8Zip() }]));
    expectRejection(asRejection(res), { status: 422, code: 'missing_file', detail: 'missing file field "file"' });
    h.expectNoTrace(before);
    await h.expectHealthy();
  });

  test.each([
    ['a JSON body', '{"file": "a.zip"}', 'application/json'],
    ['multipart without a boundary', 'x', 'multipart/form-data'],
    ['a text body', 'PK\u0003\u0004', 'text/plain'],
  ])('rejects %s with 400 bad_multipart', async (_label, body, contentType) => {
    const before = h.snapshot();
    const res = await postUpload(h, body, contentType);
    expectRejection(asRejection(res), { status: 400, code: 'bad_multipart', detail: 'multipart' });
    h.expectNoTrace(before);
    await h.expectHealthy();
  });

  test('rejects a multipart body cut before its final boundary with 400 bad_multipart, keeping nothing', async () => {
    const before = h.snapshot();
    const res = await postUpload(h, multipart([{ name: 'file', filename: 'a.zip', data: coco8Zip() }], { close: false }));
    expectRejection(asRejection(res), { status: 400, code: 'bad_multipart', detail: 'Unexpected end of form' });
    h.expectNoTrace(before);
    await h.expectHealthy();
  });

  test('rejects a body whose only file is not named "file" and that ends without its final boundary with 400 bad_multipart', async () => {
    const before = h.snapshot();
    const res = await postUpload(h, multipart([{ name: 'upload', filename: 'a.zip', data: Buffer.alloc(64, 7) }], { close: false }));
    expectRejection(asRejection(res), { status: 400, code: 'bad_multipart', detail: 'Unexpected end of form' });
    await new Promise((r) => setTimeout(r, 50));
    h.expectNoTrace(before);
    await h.expectHealthy();
  });

  test('rejects a 0-byte .zip with 400 invalid_zip', async () => {
    await h.expectUploadRejected(Buffer.alloc(0), { status: 400, code: 'invalid_zip', detail: 'is empty (0 bytes)' });
  });

  test('leaves no file behind when the client aborts half-way through the upload', async () => {
    const ids = await h.datasetIds();
    const before = h.snapshot();
    const zip = Buffer.concat(Array.from({ length: 20 }, () => coco8Zip())); // ~9 MB
    const writing = () => filesUnder(h.dataDir, 'uploads').some((f) => f.includes('.tmp-'));
    await abortUpload(h, { filename: 'big.zip', file: zip, sent: zip.length >> 1, waitFor: () => eventually(() => expect(writing()).toBe(true)) });
    await eventually(() => h.expectNoTrace(before));
    expect(await h.datasetIds()).toEqual(ids);
    await h.expectHealthy();
  });

  test('answers 400 not_zip and stays up when the refused file then ends without its final boundary', async () => {
    const before = h.snapshot();
    const res = await postUpload(h, multipart([{ name: 'file', filename: 'notes.txt', data: Buffer.alloc(64, 7) }], { close: false }));
    expectRejection(asRejection(res), { status: 400, code: 'not_zip', detail: '"notes.txt"' });
    await new Promise((r) => setTimeout(r, 50));
    h.expectNoTrace(before);
    await h.expectHealthy();
  });
});

describe('POST /datasets/upload under a small upload cap', () => {
  test.each([
    [1000, 'the first chunk is over the cap, before the file is opened'],
    [64 * 1024, 'the cap is passed while writing'],
  ])('rejects a larger upload with 413 upload_too_large under a %i-byte cap (%s), keeping nothing', async (maxUploadBytes) => {
    const small = await Harness.start({ limits: { maxUploadBytes } });
    try {
      const error = await small.expectUploadRejected(coco8Zip(), { status: 413, code: 'upload_too_large', detail: `${maxUploadBytes} byte limit` });
      expect(error.detail).toContain('"attack.zip"');
    } finally {
      await small.close();
    }
  });
});
