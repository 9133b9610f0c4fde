import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fixturePath, unzipToMap, zipDirectory, zipFiles } from '../../../test/support/fixtures.js';
import { startTestServer, type TestServer } from '../../../test/support/server.js';
import { attachmentFilename, expectApiError, jsonInit, rawRequest } from './support/http.js';

const COCO8 = fixturePath('datasets/coco8');
const jpeg = (split: string, stem: string) => readFileSync(path.join(COCO8, 'images', split, `${stem}.jpg`));
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?$/;

/** Two labelled images with class names in data.yaml: the smallest dataset that exercises every route. */
const tinyZip = () =>
  zipFiles({
    'data.yaml': 'names: [cat, dog]\n',
    'images/train/a.jpg': jpeg('train', '000000000009'),
    'images/val/b.jpg': jpeg('val', '000000000036'),
    'labels/train/a.txt': '0 0.5 0.5 0.25 0.25\n',
    'labels/val/b.txt': '1 0.4 0.4 0.2 0.2\n',
  });

let t: TestServer;
let coco8Zip: Buffer;
let tiny: Buffer;
/** coco8, uploaded and prepared once; tests that change a dataset make their own. */
let coco8Id: string;

const upload = (data: Buffer, filename = 'data.zip') => t.client.datasets.upload({ data, filename });
async function uploadPrepared(data: Buffer = tiny): Promise<string> {
  const { dataset_id } = await upload(data);
  await t.client.datasets.prepare(dataset_id);
  return dataset_id;
}
const dataPath = (...parts: string[]) => path.join(t.dataDir, ...parts);

beforeAll(async () => {
  t = await startTestServer();
  [coco8Zip, tiny] = await Promise.all([zipDirectory(COCO8), tinyZip()]);
  coco8Id = await uploadPrepared(coco8Zip);
});
afterAll(async () => t?.close());

describe('POST /datasets/upload', () => {
  test('returns the origin fields and the API document\'s created_at', async () => {
    const ds = await upload(tiny, 'tiny.zip');
    expect(ds).toMatchObject({ filename: 'tiny.zip', size: tiny.length, status: 'uploaded', versions: [] });
    expect(ds.dataset_id).toMatch(/^ds_\d{8}_\d{6}_[0-9a-f]{8}$/);
    expect(ds.uploaded_at).toMatch(ISO);
    expect(ds.created_at).toBe(ds.uploaded_at);
  });

  test('stores the ZIP byte for byte under uploads/<dataset_id>.zip in the data root', async () => {
    const ds = await upload(tiny);
    expect(readFileSync(dataPath('uploads', `${ds.dataset_id}.zip`)).equals(tiny)).toBe(true);
  });

  test('returns 400 "Only zip files are allowed" for another extension and keeps nothing', async () => {
    const before = (await t.client.datasets.list()).datasets.length;
    await expectApiError(upload(tiny, 'tiny.tar'), 400, /^Only zip files are allowed/);
    expect((await t.client.datasets.list()).datasets).toHaveLength(before);
  });

  test('returns 400 for bytes that are not a ZIP, and for an empty file', async () => {
    const notZip = await expectApiError(upload(Buffer.from('hello, not a zip'), 'x.zip'), 400, /not a readable ZIP/);
    expect(notZip.code).toBe('invalid_zip');
    await expectApiError(upload(Buffer.alloc(0), 'empty.zip'), 400, /empty/);
  });

  test('returns 422 when the form has no "file" field', async () => {
    const boundary = 'b0undary';
    const body = `--${boundary}\r\nContent-Disposition: form-data; name="other"\r\n\r\nx\r\n--${boundary}--\r\n`;
    const res = await rawRequest(t.url, 'POST', '/datasets/upload', { body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } });
    expect(res.status).toBe(422);
    expect(res.json).toMatchObject({ detail: 'missing file field "file"', errors: [{ loc: ['body', 'file'], type: 'missing' }] });
  });

  test('returns 400 for a body that is not multipart', async () => {
    const res = await rawRequest(t.url, 'POST', '/datasets/upload', jsonInit({ file: 'x' }));
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ detail: expect.stringContaining('multipart/form-data'), code: 'bad_multipart' });
  });

  test('gives 20 concurrent uploads 20 distinct ids, all listed', async () => {
    const uploaded = await Promise.all(Array.from({ length: 20 }, (_, i) => upload(tiny, `concurrent-${i}.zip`)));
    const ids = new Set(uploaded.map((d) => d.dataset_id));
    expect(ids.size).toBe(20);
    const listed = new Set((await t.client.datasets.list()).datasets.map((d) => d.dataset_id));
    for (const id of ids) expect(listed.has(id)).toBe(true);
    for (const d of uploaded) expect(existsSync(dataPath('uploads', `${d.dataset_id}.zip`))).toBe(true);
  });

  test('keeps a UTF-8 filename', async () => {
    expect((await upload(tiny, 'données.zip')).filename).toBe('données.zip');
  });
});

describe('POST /datasets/{dataset_id}/prepare', () => {
  test('returns the origin fields and the API document\'s status, train_count, val_count and data_yaml', async () => {
    const { dataset_id } = await upload(coco8Zip);
    const prepared = await t.client.datasets.prepare(dataset_id, {});
    expect(prepared).toMatchObject({
      dataset_id, version: 'v1', status: 'prepared', image_count: 8, label_count: 8, train_count: 4, val_count: 4, versions: ['v1'],
    });
    expect(prepared.classes).toHaveLength(80);
    expect(prepared.classes?.slice(0, 3)).toEqual(['person', 'bicycle', 'car']);
    expect(prepared.prepared_at).toMatch(ISO);
    expect(prepared.data_yaml).toBe(dataPath('datasets', dataset_id, 'v1', 'data.yaml'));
    const yaml = readFileSync(prepared.data_yaml, 'utf8');
    expect(yaml).toContain('nc: 80');
    expect(yaml).toContain('train: images/train');
    expect(yaml).toContain('val: images/val');
  });

  test('accepts a request with no body at all (the origin frontend sends {})', async () => {
    const { dataset_id } = await upload(tiny);
    const res = await rawRequest(t.url, 'POST', `/datasets/${dataset_id}/prepare`);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ status: 'prepared', image_count: 2, label_count: 2, classes: ['cat', 'dog'] });
  });

  test('uses the request\'s classes over the ZIP\'s data.yaml', async () => {
    const { dataset_id } = await upload(tiny);
    const prepared = await t.client.datasets.prepare(dataset_id, { classes: ['kitten', 'puppy'] });
    expect(prepared.classes).toEqual(['kitten', 'puppy']);
    expect(readFileSync(prepared.data_yaml, 'utf8')).toMatch(/names:\n\s*- kitten\n\s*- puppy\n/);
  });

  test('can be run again on a prepared dataset', async () => {
    const id = await uploadPrepared();
    const again = await t.client.datasets.prepare(id, { classes: ['x', 'y'] });
    expect(again).toMatchObject({ status: 'prepared', image_count: 2, classes: ['x', 'y'] });
  });

  test('returns 404 "Dataset not found" for an unknown dataset', async () => {
    await expectApiError(t.client.datasets.prepare('ds_unknown'), 404, 'Dataset not found');
  });

  test('returns 400 for a dataset id that is a path', async () => {
    const error = await expectApiError(t.client.datasets.prepare('../uploads'), 400, /dataset_id/);
    expect(error.code).toBe('validation_error');
  });

  test('returns 422 for a split ratio above 1', async () => {
    const { dataset_id } = await upload(tiny);
    const error = await expectApiError(t.client.datasets.prepare(dataset_id, { split_ratio: { train: 2, val: 0 } }), 422, /split_ratio\.train/);
    expect(error.body).toMatchObject({ errors: [{ loc: ['body', 'split_ratio', 'train'] }] });
  });

  test('returns 400 for a ZIP without images and leaves the dataset uploaded with the reason', async () => {
    const { dataset_id } = await upload(await zipFiles({ 'readme.txt': 'no images here' }));
    await expectApiError(t.client.datasets.prepare(dataset_id), 400, /no decodable images/);
    expect(await t.client.datasets.get(dataset_id)).toMatchObject({ status: 'uploaded', error: expect.stringMatching(/no decodable images/) });
  });
});

describe('GET /datasets', () => {
  test('lists every dataset newest first with the fields the origin frontend reads', async () => {
    const id = await uploadPrepared();
    await t.client.datasets.update(id, { description: 'two pets', tags: ['pets', 'tiny'] });
    const { datasets } = await t.client.datasets.list();
    const times = datasets.map((d) => d.uploaded_at);
    expect(times).toEqual([...times].sort().reverse());
    const item = datasets.find((d) => d.dataset_id === id);
    expect(item).toMatchObject({
      filename: 'data.zip', size: tiny.length, status: 'prepared', image_count: 2, label_count: 2,
      classes: ['cat', 'dog'], description: 'two pets', tags: ['pets', 'tiny'], version: 'v1', versions: ['v1'],
    });
    expect(Array.isArray(item?.classes)).toBe(true);
  });

  test('lists an unprepared dataset with status uploaded', async () => {
    const { dataset_id } = await upload(tiny);
    const item = (await t.client.datasets.list()).datasets.find((d) => d.dataset_id === dataset_id);
    expect(item).toMatchObject({ status: 'uploaded', versions: [] });
  });
});

describe('GET /datasets/{dataset_id}', () => {
  test('returns the dataset with up to 5 sample_images served under /static/', async () => {
    const ds = await t.client.datasets.get(coco8Id);
    expect(ds).toMatchObject({ dataset_id: coco8Id, status: 'prepared', image_count: 8, report: { layout: 'ultralytics' } });
    expect(ds.sample_images).toHaveLength(5);
    for (const sample of ds.sample_images) {
      const [, split, file] = sample.match(/^datasets\/[^/]+\/v1\/images\/(train|val)\/(.+)$/) ?? [];
      expect(split, sample).toBeDefined();
      const bytes = await t.client.staticFile(sample);
      expect(Buffer.from(bytes).equals(readFileSync(path.join(COCO8, 'images', split!, file!)))).toBe(true);
    }
  });

  test('returns no sample_images for a dataset that is not prepared', async () => {
    const { dataset_id } = await upload(tiny);
    expect(await t.client.datasets.get(dataset_id)).toMatchObject({ status: 'uploaded', sample_images: [] });
  });

  test('returns 404 "Dataset not found" for an unknown dataset', async () => {
    await expectApiError(t.client.datasets.get('ds_unknown'), 404, 'Dataset not found');
  });
});

describe('PUT /datasets/{dataset_id}', () => {
  test('writes description and tags, sets updated_at and returns the whole dataset', async () => {
    const id = await uploadPrepared();
    const updated = await t.client.datasets.update(id, { description: 'pets', tags: ['a', 'b'] });
    expect(updated).toMatchObject({ dataset_id: id, description: 'pets', tags: ['a', 'b'], status: 'prepared', classes: ['cat', 'dog'] });
    expect(updated.updated_at).toMatch(ISO);
    expect(updated).not.toHaveProperty('sample_images');
    expect(await t.client.datasets.get(id)).toMatchObject({ description: 'pets', tags: ['a', 'b'] });
  });

  test('writes only the fields given: null or missing fields keep their value, updated_at still moves', async () => {
    const id = await uploadPrepared();
    const first = await t.client.datasets.update(id, { description: 'keep me', tags: ['keep'] });
    const second = await t.client.datasets.update(id, { description: null, tags: null });
    expect(second).toMatchObject({ description: 'keep me', tags: ['keep'] });
    expect(second.updated_at! >= first.updated_at!).toBe(true);
    const third = await t.client.datasets.update(id, { tags: ['new'] });
    expect(third).toMatchObject({ description: 'keep me', tags: ['new'] });
  });

  test('returns 404 "Dataset not found" for an unknown dataset', async () => {
    await expectApiError(t.client.datasets.update('ds_unknown', { description: 'x' }), 404, 'Dataset not found');
  });

  test('returns 422 when tags is not a list of strings', async () => {
    const { dataset_id } = await upload(tiny);
    const res = await rawRequest(t.url, 'PUT', `/datasets/${dataset_id}`, jsonInit({ tags: 'a,b' }));
    expect(res.status).toBe(422);
    expect(res.json).toMatchObject({ detail: expect.stringContaining('tags'), code: 'validation_error' });
  });
});

describe('DELETE /datasets/{dataset_id}', () => {
  test('returns {ok, message}, removes the dataset\'s files and answers 404 afterwards', async () => {
    const id = await uploadPrepared();
    expect(existsSync(dataPath('datasets', id, 'v1', 'data.yaml'))).toBe(true);
    expect(await t.client.datasets.delete(id)).toEqual({ ok: true, message: `Dataset ${id} deleted` });
    expect(existsSync(dataPath('datasets', id))).toBe(false);
    expect(existsSync(dataPath('uploads', `${id}.zip`))).toBe(false);
    expect((await t.client.datasets.list()).datasets.some((d) => d.dataset_id === id)).toBe(false);
    await expectApiError(t.client.datasets.get(id), 404, 'Dataset not found');
    await expectApiError(t.client.datasets.exportOriginal(id), 404, 'Dataset not found');
    await expectApiError(t.client.datasets.delete(id), 404, 'Dataset not found');
  });

  test('deletes a dataset that was never prepared', async () => {
    const { dataset_id } = await upload(tiny);
    expect(await t.client.datasets.delete(dataset_id)).toMatchObject({ ok: true });
    expect(existsSync(dataPath('uploads', `${dataset_id}.zip`))).toBe(false);
  });
});

describe.each([
  { kind: 'annotated', exportZip: (id: string, version?: string) => t.client.datasets.exportAnnotated(id, { version }) },
  { kind: 'original', exportZip: (id: string, version?: string) => t.client.datasets.exportOriginal(id, { version }) },
] as const)('GET /datasets/{dataset_id}/export/$kind', ({ kind, exportZip }) => {
  test(`streams a ZIP named <dataset_id>_${kind}.zip`, async () => {
    const res = await rawRequest(t.url, 'GET', `/datasets/${coco8Id}/export/${kind}?version=v1`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/zip');
    expect(attachmentFilename(res.headers['content-disposition'])).toBe(`${coco8Id}_${kind}.zip`);
    const files = await unzipToMap(res.bytes);
    const names = [...files.keys()];
    expect(names.filter((n) => n.startsWith('images/'))).toHaveLength(8);
    expect(names.filter((n) => n.startsWith('labels/'))).toHaveLength(kind === 'annotated' ? 8 : 0);
    expect(files.get('images/train/000000000009.jpg')?.equals(jpeg('train', '000000000009'))).toBe(true);
    expect(files.get('data.yaml')?.toString()).toContain('nc: 80');
    if (kind === 'annotated') {
      expect(files.get('labels/val/000000000036.txt')?.toString().trim()).toBe(readFileSync(path.join(COCO8, 'labels/val/000000000036.txt'), 'utf8').trim());
    }
  });

  test('defaults to version v1', async () => {
    expect((await unzipToMap(await exportZip(coco8Id))).has('data.yaml')).toBe(true);
  });

  test('returns 404 "Dataset not found" for an unknown dataset', async () => {
    await expectApiError(exportZip('ds_unknown'), 404, 'Dataset not found');
  });

  test('returns 404 for a version the dataset does not have', async () => {
    await expectApiError(exportZip(coco8Id, 'v2'), 404, /has no version v2/);
  });

  test('returns 404 saying to prepare first for a dataset that is not prepared', async () => {
    const { dataset_id } = await upload(tiny);
    const error = await expectApiError(exportZip(dataset_id), 404, /not prepared yet.*prepare it first/);
    expect(error.code).toBe('not_prepared');
  });

  test('returns 422 for a version that is not v<number>', async () => {
    await expectApiError(exportZip(coco8Id, 'latest'), 422, /version/);
  });
});
