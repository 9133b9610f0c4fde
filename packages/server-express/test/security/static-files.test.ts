import { existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { Harness, rawRequest, SECRET_MARKERS, within } from './harness.js';
import { COCO8, coco8Zip } from './payloads.js';

let h: Harness;
let id = '';

const openFds = () => readdirSync('/proc/self/fd').length;

/** GETs `url`, reads the first chunk of the body, then breaks the connection. */
function abortAfterFirstChunk(url: string): Promise<void> {
  const { hostname, port } = new URL(h.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path: url, agent: false }, (res) => {
      expect(res.statusCode).toBe(200);
      res.once('data', () => {
        req.destroy();
        resolve();
      });
    });
    req.on('error', (error) => (req.destroyed ? undefined : reject(error)));
    req.end();
  });
}

/** Waits until the process holds at most `limit` file descriptors. */
async function fdsSettleTo(limit: number): Promise<number> {
  for (let waited = 0; openFds() > limit && waited < 2000; waited += 50) await new Promise((r) => setTimeout(r, 50));
  return openFds();
}
const IMAGE = 'images/train/000000000009.jpg';

beforeAll(async () => {
  h = await Harness.start();
  id = await h.upload(coco8Zip());
  await within(h.client.datasets.prepare(id, {}), 'prepare');
});
afterAll(async () => h.close());

/** D1: requests for files outside `datasets/<id>/<version>/images/`, each sent exactly as written (`{id}`: a real dataset). */
const ATTACKS: [path: string, label: string][] = [
  ['/static/yoloops.db', 'the SQLite database'],
  ['/static/yoloops.db-wal', 'the SQLite WAL'],
  ['/static/../yoloops.db', 'a raw ".." right after /static'],
  ['/static/../../../../etc/passwd', 'raw ".." out of the data root'],
  ['/static/datasets/{id}/v1/images/..%2F..%2F..%2F..%2Fyoloops.db', 'encoded slashes'],
  ['/static/datasets/{id}/v1/images/%2e%2e/%2e%2e/%2e%2e/%2e%2e/yoloops.db', 'encoded dots'],
  ['/static/datasets/{id}/v1/images/%252e%252e/%252e%252e/%252e%252e/%252e%252e/yoloops.db', 'double-encoded dots'],
  ['/static/datasets/{id}/v1/images/train/000000000009.jpg;/../../../../../yoloops.db', 'a ";" parameter then ".."'],
  ['/static/datasets/{id}/v1/images/train/x.jpg#/../../../../../yoloops.db', 'a raw "#" then ".."'],
  ['/static/datasets/{id}/v1/images/..\\..\\..\\..\\yoloops.db', 'raw backslashes'],
  ['/static/datasets/{id}/v1/images/..%5C..%5C..%5C..%5Cyoloops.db', 'encoded backslashes'],
  ['/static/datasets/{id}/v1/images/train/000000000009.jpg%00.db', 'an encoded NUL'],
  ['/static//etc/passwd', 'an absolute path'],
  ['/static/%2Fetc%2Fpasswd', 'an encoded absolute path'],
  ['/static/uploads/{id}.zip', 'the uploaded ZIP'],
  ['/static/datasets/{id}/v1/data.yaml', 'data.yaml'],
  ['/static/datasets/{id}/v1/labels/train/000000000009.txt', 'a label file'],
  ['/static/datasets/{id}/v1/images/train/000000000009.txt', 'a non-image extension'],
  ['/static/datasets/{id}/v2/images/train/000000000009.jpg', 'a version that does not exist'],
  ['/static/datasets/..%2F..%2F/v1/images/train/000000000009.jpg', 'an id that is a path'],
];

describe('GET /static/*', () => {
  test('serves a real dataset image as image/jpeg with nosniff', async () => {
    const res = await rawRequest(h.url, { path: `/static/datasets/${id}/v1/${IMAGE}` });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('image/jpeg');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.body.equals(readFileSync(path.join(COCO8, IMAGE)))).toBe(true);
  });

  test('ignores a traversal in the query string and serves only the image asked for', async () => {
    const res = await rawRequest(h.url, { path: `/static/datasets/${id}/v1/${IMAGE}?x=../../../../yoloops.db&path=../../yoloops.db` });
    expect(res.status).toBe(200);
    expect(res.body.equals(readFileSync(path.join(COCO8, IMAGE)))).toBe(true);
  });

  test.each(ATTACKS)('refuses %s (%s) with 400/404, never the bytes (D1)', async (template, label) => {
    const url = template.replaceAll('{id}', id);
    const res = await rawRequest(h.url, { path: url });
    expect([400, 404], `${label}: ${url} → ${res.status}`).toContain(res.status);
    const text = res.body.toString('latin1');
    for (const marker of SECRET_MARKERS) expect(text).not.toContain(marker);
    expect(text).not.toContain('names:'); // data.yaml
    expect(res.body.subarray(0, 2).toString('latin1')).not.toBe('PK'); // the uploaded ZIP
    expect(res.headers['content-type'] ?? '').not.toMatch(/^image\//);
    if (res.json) expect(['unsafe_path', 'not_found']).toContain(res.json.code);
    await h.expectHealthy();
  });

  test('refuses an image that is a symlink to a file outside the data root', async () => {
    symlinkSync('/etc/passwd', path.join(h.dataDir, 'datasets', id, 'v1', 'images', 'train', 'link.jpg'));
    const res = await rawRequest(h.url, { path: `/static/datasets/${id}/v1/images/train/link.jpg` });
    expect([400, 404]).toContain(res.status);
    for (const marker of SECRET_MARKERS) expect(res.body.toString('latin1')).not.toContain(marker);
    await h.expectHealthy();
  });

  test.skipIf(!existsSync('/proc/self/fd'))('closes the file when the client aborts a download half-way (20 aborts leak no descriptor)', async () => {
    const key = path.join(h.dataDir, 'datasets', id, 'v1', 'images', 'train', '000000000030.jpg');
    writeFileSync(key, Buffer.alloc(16 * 1024 * 1024, 1)); // a large image, so the download cannot finish at once
    const logged = vi.spyOn(console, 'error');
    try {
      const before = openFds();
      for (let i = 0; i < 20; i += 1) await abortAfterFirstChunk(`/static/datasets/${id}/v1/images/train/000000000030.jpg`);
      expect(await fdsSettleTo(before)).toBeLessThanOrEqual(before);
      expect(logged, 'a client going away is not a server error').not.toHaveBeenCalled();
    } finally {
      logged.mockRestore();
    }
    await h.expectHealthy();
  });

  test.skipIf(!existsSync('/proc/self/fd'))('closes the files when the client aborts an export half-way', async () => {
    writeFileSync(path.join(h.dataDir, 'datasets', id, 'v1', 'images', 'train', '000000000009.jpg'), Buffer.alloc(16 * 1024 * 1024, 1));
    const before = openFds();
    for (let i = 0; i < 20; i += 1) await abortAfterFirstChunk(`/datasets/${id}/export/annotated`);
    expect(await fdsSettleTo(before)).toBeLessThanOrEqual(before);
  });
});
