import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { craftZip, deflatedZeros, zipBytes } from '../../../core/test/support/craft-zip.js';
import { filesUnder, Harness, within } from './harness.js';
import { coco8Files, coco8Zip, MiB, smallJpeg } from './payloads.js';

const jpeg = smallJpeg();

/** An entry declaring `declared` bytes whose deflate stream really holds `real` zeros (A10). */
const liar = (name: string, declared: number, real: number) => ({ name, compressed: deflatedZeros(real), uncompressedSize: declared, crc32: crc32(Buffer.alloc(declared)) });

let h: Harness;
beforeAll(async () => {
  h = await Harness.start();
});
afterAll(async () => h.close());

describe('POST /datasets/{dataset_id}/prepare', () => {
  test.each([
    ['an image', 'images/train/liar.jpg'],
    ['a label file', 'labels/train/a.txt'],
    ['data.yaml', 'data.yaml'],
  ])('rejects %s declaring 10 B that inflates to 20 MB with 400 size_mismatch, publishing nothing (A10)', async (_what, name) => {
    const entries = [{ name: 'images/train/a.jpg', data: jpeg }, { name: 'images/val/b.jpg', data: jpeg }, liar(name, 10, 20 * MiB)];
    const id = await h.upload(craftZip(entries));
    await h.expectPrepareRejected(id, { status: 400, code: 'size_mismatch', detail: `"${name}" inflates to more than its declared 10 bytes` });
  });

  test('rejects an entry that ends before its declared size with 400 size_mismatch', async () => {
    const short = { name: 'images/train/short.jpg', compressed: deflatedZeros(100), uncompressedSize: 5000, crc32: 0 };
    const id = await h.upload(craftZip([{ name: 'images/train/a.jpg', data: jpeg }, short]));
    await h.expectPrepareRejected(id, { status: 400, code: 'size_mismatch', detail: '"images/train/short.jpg" ends after 100 of its declared 5000 bytes' });
  });

  test('rejects an entry whose CRC-32 does not match with 400 crc_mismatch', async () => {
    const id = await h.upload(craftZip([{ name: 'images/train/a.jpg', data: jpeg }, { name: 'images/train/b.jpg', data: jpeg, crc32: 1234 }]));
    await h.expectPrepareRejected(id, { status: 400, code: 'crc_mismatch', detail: '"images/train/b.jpg" is corrupt' });
  });

  test('keeps a nested ZIP opaque: prepare succeeds, inner.zip is not extracted and is counted as ignored (A12)', async () => {
    const inner = zipBytes({ '../../../../tmp/pwn.txt': 'pwned', 'images/train/inner.jpg': jpeg });
    const id = await h.upload(coco8Zip({ 'inner.zip': inner, 'images/train/deeper.zip': zipBytes({ 'inner.zip': inner }) }));
    const prepared = await within(h.client.datasets.prepare(id, {}), 'prepare');
    expect(prepared).toMatchObject({ status: 'prepared', image_count: 8 });
    expect(prepared.report.ignored_entries).toBe(2);
    const files = filesUnder(h.dataDir, `datasets/${id}`);
    expect(files.filter((f) => /\.zip$|inner|pwn/.test(f))).toEqual([]);
    expect(files.filter((f) => f.includes('/images/'))).toHaveLength(8);
  });

  test('stores __proto__, constructor and toString entries inert and never pollutes Object.prototype (A15)', async () => {
    const yaml = 'names: [cat, dog]\n__proto__: {admin: true}\nconstructor: {prototype: {admin: true}}\n';
    const label = '0 0.5 0.5 0.2 0.2';
    const id = await h.upload(zipBytes({
      'data.yaml': yaml, ['__proto__']: 'x', 'constructor': 'x', 'toString': 'x', // computed: an own key, not the prototype
      'images/train/__proto__.jpg': jpeg, 'images/train/constructor.jpg': jpeg, 'images/val/toString.jpg': jpeg,
      'labels/train/__proto__.txt': label, 'labels/train/constructor.txt': label, 'labels/val/toString.txt': label,
    }));
    const prepared = await within(h.client.datasets.prepare(id, {}), 'prepare');
    expect(prepared).toMatchObject({ status: 'prepared', image_count: 3, label_count: 3, classes: ['cat', 'dog'] });
    expect(prepared.report.ignored_entries).toBe(3);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'admin')).toBe(false);
    expect(Object.keys(prepared)).not.toContain('admin');

    const task = await within(h.client.annotations.createTask({ dataset_id: id }), 'create task');
    const { items } = await within(h.client.annotations.listItems(task.task_id), 'list items');
    expect(items.map((i) => i.image_id).sort()).toEqual(['__proto__', 'constructor', 'toString']);
    for (const imageId of ['__proto__', 'constructor', 'toString']) {
      const item = await within(h.client.annotations.getItem(task.task_id, imageId), `get ${imageId}`);
      expect(item.boxes, imageId).toHaveLength(1);
      await within(h.client.annotations.saveItem(task.task_id, imageId, [{ class_id: 1, x1: 1, y1: 2, x2: 30, y2: 40 }]), `save ${imageId}`);
      expect((await h.client.annotations.getItem(task.task_id, imageId)).boxes, imageId).toEqual([{ class_id: 1, x1: 1, y1: 2, x2: 30, y2: 40 }]);
    }
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    expect(({} as Record<string, unknown>).boxes).toBeUndefined();
  });

  test('rejects data.yaml names {__proto__: x} with 400 invalid_classes (A15)', async () => {
    const id = await h.upload(zipBytes({ 'data.yaml': 'names:\n  __proto__: x\n', 'images/train/a.jpg': jpeg }));
    await h.expectPrepareRejected(id, { status: 400, code: 'invalid_classes', detail: '"__proto__"' });
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  test('ignores a JSON body {"__proto__": {"admin": true}} on prepare and update (A15)', async () => {
    const id = await h.upload(coco8Zip());
    const polluted = '{"__proto__": {"admin": true}, "constructor": {"prototype": {"admin": true}}, "seed": 1}';
    const post = await fetch(`${h.url}/datasets/${id}/prepare`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: polluted });
    expect(post.status).toBe(200);
    const put = await fetch(`${h.url}/datasets/${id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: polluted.replace('"seed": 1', '"description": "d"') });
    expect(put.status).toBe(200);
    const stored = await h.client.datasets.get(id);
    expect(stored).toMatchObject({ status: 'prepared', split_seed: 1, description: 'd' });
    expect(Object.keys(stored)).not.toContain('admin');
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });
});

describe('POST /datasets/{dataset_id}/prepare, concurrently', () => {
  test('10 concurrent prepares of one dataset: exactly one 200, the others 409 preparing, final status prepared', async () => {
    const files = coco8Files();
    const bigger: Record<string, Buffer> = {};
    for (let copy = 0; copy < 4; copy += 1) for (const [name, data] of Object.entries(files)) bigger[name.replace(/(\d+)\./, `$1_${copy}.`)] = data;
    const id = await h.upload(zipBytes(bigger));
    const outcomes = await within(Promise.allSettled(Array.from({ length: 10 }, () => h.client.datasets.prepare(id, {}))), '10 prepares', 30_000);
    const ok = outcomes.filter((o) => o.status === 'fulfilled');
    const failed = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as { status: number; code: string; detail: string }] : []));
    expect(ok).toHaveLength(1);
    expect(failed.map((e) => [e.status, e.code])).toEqual(Array.from({ length: 9 }, () => [409, 'preparing']));
    expect(failed[0]?.detail).toContain('already being prepared');
    expect(await h.client.datasets.get(id)).toMatchObject({ status: 'prepared', image_count: 32 });
    expect([...h.snapshot().data.keys()].filter((rel) => /\.(staging|tmp|trash)-/.test(rel))).toEqual([]);
    await h.expectHealthy();
  });
});
