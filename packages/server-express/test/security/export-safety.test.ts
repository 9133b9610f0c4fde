import { existsSync } from 'node:fs';
import { checkEntryName, openSafeZip } from '@yoloops/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { memoryBlobReader, zipBytes } from '../../../core/test/support/craft-zip.js';
import { contentDisposition } from '../../src/http/register-routes.js';
import { Harness, rawRequest, within } from './harness.js';
import { smallJpeg } from './payloads.js';

const jpeg = smallJpeg();

/** Names a ZIP may legally carry that still try to trip whoever unzips our export (D3). */
const HOSTILE_BUT_LEGAL = [
  'images/train/<img src=x onerror=alert(1)>.jpg',
  'images/train/x" onload="y.jpg',
  'images/train/a;b&c|d$(id).jpg',
  'images/train/__proto__.jpg',
  'images/train/constructor.jpg',
  'images/train/日本語 画像.jpg',
  'images/train/caf\u00e9.jpg',
  'images/train/A.jpg',
  'images/train/a.png',
  'images/val/a..b.jpg',
  'images/val/.hidden.jpg',
  'images/val/deep/er/nest.jpg',
  'images/val/%41.jpg',
];

let h: Harness;
let id = '';
beforeAll(async () => {
  h = await Harness.start();
  const files: Record<string, Buffer | string> = { 'data.yaml': 'names: ["<b>x</b>", "y\\u202ez"]\n' };
  for (const name of HOSTILE_BUT_LEGAL) {
    files[name] = jpeg;
    // A.jpg and a.png share the label labels/train/a.txt (a second one would be a case duplicate)
    if (name !== 'images/train/a.png') files[name.replace(/^images/, 'labels').replace(/\.[a-z]+$/, '.txt')] = '0 0.5 0.5 0.2 0.2';
  }
  id = await h.upload(zipBytes(files));
  const prepared = await within(h.client.datasets.prepare(id, {}), 'prepare');
  expect(prepared.image_count).toBe(HOSTILE_BUT_LEGAL.length);
});
afterAll(async () => h.close());

/** Entry names of a ZIP read from its central directory (JSZip would silently clean them up). */
async function entryNames(bytes: Uint8Array): Promise<string[]> {
  const zip = await openSafeZip(memoryBlobReader(Buffer.from(bytes))); // itself refuses links, duplicates, unsafe names
  try {
    return [...zip.entries.map((e) => e.name), ...zip.skipped];
  } finally {
    await zip.close();
  }
}

describe('GET /datasets/{dataset_id}/export/*', () => {
  test.each(['annotated', 'original'] as const)('every entry of the %s export passes checkEntryName, with no duplicates (D3)', async (kind) => {
    const bytes = await within(kind === 'annotated' ? h.client.datasets.exportAnnotated(id) : h.client.datasets.exportOriginal(id), 'export');
    const names = await entryNames(bytes);
    expect(names.filter((n) => n.startsWith('images/'))).toHaveLength(HOSTILE_BUT_LEGAL.length);
    if (kind === 'annotated') expect(names.filter((n) => n.startsWith('labels/'))).toHaveLength(HOSTILE_BUT_LEGAL.length - 1); // a.png has none
    for (const name of names) expect(() => checkEntryName(name), name).not.toThrow();
    const folded = names.map((n) => n.normalize('NFC').toLowerCase());
    expect(new Set(folded).size).toBe(names.length);
  });

  test('sends the export with a fixed type, nosniff and a Content-Disposition that cannot split headers (D4)', async () => {
    const res = await rawRequest(h.url, { path: `/datasets/${id}/export/annotated` });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/zip');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="${id}_annotated.zip"; filename*=UTF-8''${id}_annotated.zip`);
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  test('contentDisposition never lets a hostile name split headers or close the quoted string (D4)', () => {
    const value = contentDisposition('evil"\r\nSet-Cookie: a=1; x=\\".zip');
    expect(value).not.toMatch(/[\r\n]/);
    expect(value).toMatch(/^attachment; filename="[^"\\]*"; filename\*=UTF-8''[A-Za-z0-9%._~!*'()-]+$/);
    expect(decodeURIComponent(value.split("UTF-8''")[1] ?? '')).toBe('evil"\r\nSet-Cookie: a=1; x=\\".zip');
  });
});

describe('POST /datasets/upload with a hostile file name (D4)', () => {
  test('stores only the base name, without control characters, and never uses it as a path', async () => {
    const boundary = 'b0undary';
    const encoded = encodeURIComponent('../../../../tmp/evil"\r\nSet-Cookie: a=1.zip');
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename*=UTF-8''${encoded}\r\nContent-Type: application/zip\r\n\r\n`;
    const body = Buffer.concat([Buffer.from(head), zipBytes({ 'images/a.jpg': jpeg }), Buffer.from(`\r\n--${boundary}--\r\n`)]);
    const res = await rawRequest(h.url, {
      method: 'POST', path: '/datasets/upload', body,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': body.length },
    });
    expect(res.status).toBe(200);
    expect(res.headers['set-cookie']).toBeUndefined();
    const filename = String((res.json as { filename?: unknown }).filename);
    expect(filename).toBe('evil"Set-Cookie: a=1.zip');
    expect(existsSync('/tmp/evil"Set-Cookie: a=1.zip')).toBe(false);
    await h.expectHealthy();
  });
});
