import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fixturePath, listFiles, unzipToMap, zipDirectory, zipFiles } from '../../../test/support/fixtures.js';
import { startTestServer, type TestServer } from '../../../test/support/server.js';
import { expectApiError, jsonInit, rawRequest } from './support/http.js';

const COCO8 = fixturePath('datasets/coco8');
const jpeg = (split: string, stem: string) => readFileSync(path.join(COCO8, 'images', split, `${stem}.jpg`));
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?$/;
const ODD_NAME = 'my photo #1 é';

let t: TestServer;
/** Prepared datasets shared by the tests (read-only use; tests that re-prepare make their own). */
let coco8Id: string;
/** `a` (640×480, labelled class 0) in train, `b` (481×640, labelled class 1) in val; classes cat, dog. */
let tinyId: string;
/** `images/train/a.jpg` and `images/val/a.jpg` (same stem), plus a file name with a space, `#` and `é`. */
let dupId: string;
let uploadedOnlyId: string;

async function uploadPrepared(data: Buffer, prepare: { classes?: string[]; seed?: number } = {}): Promise<string> {
  const { dataset_id } = await t.client.datasets.upload({ data, filename: 'data.zip' });
  await t.client.datasets.prepare(dataset_id, prepare);
  return dataset_id;
}
const newTask = (datasetId = tinyId) => t.client.annotations.createTask({ dataset_id: datasetId });
const labelFile = (datasetId: string, rel: string) => path.join(t.dataDir, 'datasets', datasetId, 'v1', 'labels', rel);

beforeAll(async () => {
  t = await startTestServer();
  const tiny = await zipFiles({
    'data.yaml': 'names: [cat, dog]\n',
    'images/train/a.jpg': jpeg('train', '000000000009'),
    'images/val/b.jpg': jpeg('val', '000000000036'),
    'labels/train/a.txt': '0 0.5 0.5 0.25 0.25\n',
    'labels/val/b.txt': '1 0.4 0.4 0.2 0.2\n',
  });
  const dup = await zipFiles({
    'data.yaml': 'names: [cat, dog]\n',
    'images/train/a.jpg': jpeg('train', '000000000009'),
    'images/val/a.jpg': jpeg('val', '000000000036'),
    [`images/train/${ODD_NAME}.jpg`]: jpeg('train', '000000000025'),
    'labels/train/a.txt': '0 0.5 0.5 0.25 0.25\n',
  });
  [coco8Id, tinyId, dupId] = await Promise.all([uploadPrepared(await zipDirectory(COCO8)), uploadPrepared(tiny), uploadPrepared(dup)]);
  uploadedOnlyId = (await t.client.datasets.upload({ data: tiny, filename: 'later.zip' })).dataset_id;
});
afterAll(async () => t?.close());

describe('POST /annotations/tasks', () => {
  test('returns the origin fields and the API document\'s total_items, annotated_count, dataset_id, version, created_at', async () => {
    const task = await newTask(coco8Id);
    expect(task).toMatchObject({
      total_images: 8, imported_annotations: 8, total_items: 8, annotated_count: 8, dataset_id: coco8Id, version: 'v1',
    });
    expect(task.task_id).toMatch(/^task_\d{8}_\d{6}_[0-9a-f]{8}$/);
    expect(task.classes).toHaveLength(80);
    expect(task.classes[0]).toBe('person');
    expect(task.created_at).toMatch(ISO);
  });

  test('uses the request\'s classes, and the dataset\'s when the list is empty or null', async () => {
    const own = await t.client.annotations.createTask({ dataset_id: tinyId, version: 'v1', classes: ['fox', 'owl', 'bee'] });
    expect(own.classes).toEqual(['fox', 'owl', 'bee']);
    expect((await t.client.annotations.createTask({ dataset_id: tinyId, classes: [] })).classes).toEqual(['cat', 'dog']);
    expect((await t.client.annotations.createTask({ dataset_id: tinyId, classes: null, version: null })).classes).toEqual(['cat', 'dog']);
  });

  test('gives images with the same file name in train and val distinct image_ids', async () => {
    const task = await newTask(dupId);
    const { items } = await t.client.annotations.listItems(task.task_id);
    const ids = items.map((i) => i.image_id);
    expect(new Set(ids).size).toBe(3);
    const byPath = Object.fromEntries(items.map((i) => [i.image_path.replace(/^.*\/v1\//, ''), i]));
    expect(byPath['images/train/a.jpg']).toMatchObject({ image_id: 'a', annotated: true });
    expect(byPath['images/val/a.jpg']?.image_id).not.toBe('a');
    expect(byPath['images/val/a.jpg']).toMatchObject({ annotated: false, width: 481, height: 640 });
  });

  test('returns 404 "Dataset not found" for an unknown dataset', async () => {
    await expectApiError(t.client.annotations.createTask({ dataset_id: 'ds_unknown' }), 404, 'Dataset not found');
  });

  test('returns 404 saying to prepare first for a dataset that is not prepared', async () => {
    const error = await expectApiError(newTask(uploadedOnlyId), 404, /not prepared yet \(status "uploaded"\): prepare it first/);
    expect(error.code).toBe('not_prepared');
  });

  test('returns 404 for a version the dataset does not have', async () => {
    await expectApiError(t.client.annotations.createTask({ dataset_id: tinyId, version: 'v2' }), 404, /has no version v2/);
  });

  test('returns 422 naming dataset_id when it is missing', async () => {
    const res = await rawRequest(t.url, 'POST', '/annotations/tasks', jsonInit({ version: 'v1' }));
    expect(res.status).toBe(422);
    expect(res.json).toMatchObject({ detail: expect.stringContaining('dataset_id'), errors: [{ loc: ['body', 'dataset_id'] }] });
  });

  test('returns 400 for a class named twice', async () => {
    await expectApiError(t.client.annotations.createTask({ dataset_id: tinyId, classes: ['cat', 'cat'] }), 400, /"cat" twice/);
  });
});

describe('GET /annotations/tasks/{task_id}/items', () => {
  test('returns items with annotated and has_annotation, the classes and imported_annotations', async () => {
    const task = await newTask(dupId);
    const res = await t.client.annotations.listItems(task.task_id);
    expect(res).toMatchObject({ task_id: task.task_id, classes: ['cat', 'dog'], imported_annotations: 1, total_items: 3, annotated_count: 1 });
    for (const item of res.items) {
      expect(item.has_annotation).toBe(item.annotated);
      expect(item.image_path).toMatch(new RegExp(`^datasets/${dupId}/v1/images/(train|val)/[^/]+\\.jpg$`));
    }
    expect(res.items.filter((i) => i.annotated).map((i) => i.image_id)).toEqual(['a']);
  });

  test('gives image paths the origin frontend loads from /static/', async () => {
    const { items } = await t.client.annotations.listItems((await newTask()).task_id);
    const a = items.find((i) => i.image_id === 'a')!;
    expect(Buffer.from(await t.client.staticFile(a.image_path)).equals(jpeg('train', '000000000009'))).toBe(true);
    expect([a.width, a.height]).toEqual([640, 480]);
  });

  test('counts an image saved with an empty box list as annotated', async () => {
    const task = await newTask(dupId);
    await t.client.annotations.saveItem(task.task_id, ODD_NAME, []);
    const res = await t.client.annotations.listItems(task.task_id);
    expect(res.items.find((i) => i.image_id === ODD_NAME)).toMatchObject({ annotated: true, has_annotation: true });
    expect(res.annotated_count).toBe(2);
  });

  test('returns 404 "Task not found" for an unknown task', async () => {
    await expectApiError(t.client.annotations.listItems('task_unknown'), 404, 'Task not found');
  });
});

describe('GET /annotations/tasks/{task_id}/items/{image_id}', () => {
  test('returns the item with its imported boxes in pixels and the classes', async () => {
    const task = await newTask();
    const item = await t.client.annotations.getItem(task.task_id, 'a');
    expect(item).toEqual({
      image_id: 'a', image_path: `datasets/${tinyId}/v1/images/train/a.jpg`, width: 640, height: 480, split: 'train',
      boxes: [{ class_id: 0, x1: 240, y1: 180, x2: 400, y2: 300 }], classes: ['cat', 'dog'], source: 'imported', updated_at: expect.stringMatching(ISO),
    });
  });

  test('returns no boxes and no updated_at for an image never annotated', async () => {
    const task = await newTask(dupId);
    const { items } = await t.client.annotations.listItems(task.task_id);
    const plain = items.find((i) => !i.annotated)!;
    const item = await t.client.annotations.getItem(task.task_id, plain.image_id);
    expect(item).toMatchObject({ image_id: plain.image_id, boxes: [], classes: ['cat', 'dog'] });
    expect(item).not.toHaveProperty('updated_at');
  });

  test('finds an image id with a space, "#" and a non-ASCII letter', async () => {
    const task = await newTask(dupId);
    expect(await t.client.annotations.getItem(task.task_id, ODD_NAME)).toMatchObject({ image_id: ODD_NAME, boxes: [] });
  });

  test('returns 404 "Image not found" for an image that is not in the task', async () => {
    await expectApiError(t.client.annotations.getItem((await newTask()).task_id, 'nope'), 404, 'Image not found');
  });

  test('returns 404 for an unknown task', async () => {
    await expectApiError(t.client.annotations.getItem('task_unknown', 'a'), 404, 'Task not found');
  });
});

describe('POST /annotations/tasks/{task_id}/items/{image_id}', () => {
  test('replaces the boxes exactly as sent and returns ok with updated_at', async () => {
    const task = await newTask();
    const boxes = [
      { class_id: 1, x1: 10.25, y1: 20.5, x2: 110.75, y2: 220 },
      { class_id: 0, x1: 700, y1: 300, x2: 600, y2: -5 }, // reversed and partly outside: stored as drawn
    ];
    const saved = await t.client.annotations.saveItem(task.task_id, 'a', boxes);
    expect(saved).toMatchObject({ ok: true, message: expect.any(String), image_id: 'a', box_count: 2 });
    expect(saved.updated_at).toMatch(ISO);
    const item = await t.client.annotations.getItem(task.task_id, 'a');
    expect(item).toMatchObject({ boxes, source: 'manual', updated_at: saved.updated_at });
    await t.client.annotations.saveItem(task.task_id, 'a', [boxes[0]!]);
    expect((await t.client.annotations.getItem(task.task_id, 'a')).boxes).toEqual([boxes[0]]);
  });

  test('saves under an image id with a space, "#" and a non-ASCII letter', async () => {
    const task = await newTask(dupId);
    await t.client.annotations.saveItem(task.task_id, ODD_NAME, [{ class_id: 1, x1: 1, y1: 2, x2: 3, y2: 4 }]);
    expect((await t.client.annotations.getItem(task.task_id, ODD_NAME)).boxes).toEqual([{ class_id: 1, x1: 1, y1: 2, x2: 3, y2: 4 }]);
  });

  test('returns 404 "Task not found" for an unknown task (the origin answered 200 ok:false)', async () => {
    await expectApiError(t.client.annotations.saveItem('task_unknown', 'a', []), 404, 'Task not found');
  });

  test('returns 404 "Image not found" for an image that is not in the task', async () => {
    await expectApiError(t.client.annotations.saveItem((await newTask()).task_id, 'nope', []), 404, 'Image not found');
  });

  test('returns 400 naming the box whose class_id is not below the number of classes', async () => {
    const task = await newTask();
    const ok = { class_id: 1, x1: 1, y1: 1, x2: 9, y2: 9 };
    const error = await expectApiError(t.client.annotations.saveItem(task.task_id, 'a', [ok, { ...ok, class_id: 2 }]), 400, /^boxes\[1\]\.class_id 2 .*2 classes/);
    expect(error.code).toBe('invalid_box');
    expect((await t.client.annotations.getItem(task.task_id, 'a')).source).toBe('imported');
  });

  test.each([
    { name: 'a non-finite coordinate', body: '{"boxes":[{"class_id":0,"x1":1e999,"y1":1,"x2":2,"y2":2}]}', field: 'boxes.0.x1' },
    { name: 'a missing coordinate', body: '{"boxes":[{"class_id":0,"y1":1,"x2":2,"y2":2}]}', field: 'boxes.0.x1' },
    { name: 'a coordinate given as text', body: '{"boxes":[{"class_id":0,"x1":1,"y1":"1","x2":2,"y2":2}]}', field: 'boxes.0.y1' },
    { name: 'a negative class_id', body: '{"boxes":[{"class_id":-1,"x1":1,"y1":1,"x2":2,"y2":2}]}', field: 'boxes.0.class_id' },
    { name: 'a fractional class_id', body: '{"boxes":[{"class_id":0.5,"x1":1,"y1":1,"x2":2,"y2":2}]}', field: 'boxes.0.class_id' },
    { name: 'no boxes list', body: '{}', field: 'boxes' },
  ])('returns 422 for $name and keeps the stored boxes', async ({ body, field }) => {
    const task = await newTask();
    const res = await rawRequest(t.url, 'POST', `/annotations/tasks/${task.task_id}/items/a`, { body, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(422);
    expect(res.json).toMatchObject({ detail: expect.stringContaining(field), code: 'validation_error' });
    expect((await t.client.annotations.getItem(task.task_id, 'a')).boxes).toEqual([{ class_id: 0, x1: 240, y1: 180, x2: 400, y2: 300 }]);
  });
});

describe('GET /annotations/tasks/{task_id}/export', () => {
  test('writes YOLO label files into the dataset and returns ok and exported_count', async () => {
    const id = await uploadPrepared(await zipFiles({
      'data.yaml': 'names: [cat, dog]\n',
      'images/train/a.jpg': jpeg('train', '000000000009'),
      'images/val/b.jpg': jpeg('val', '000000000036'),
    }));
    const task = await newTask(id);
    await t.client.annotations.saveItem(task.task_id, 'a', [{ class_id: 1, x1: 64, y1: 48, x2: 192, y2: 144 }]);
    const res = await t.client.annotations.exportYolo(task.task_id);
    expect(res).toMatchObject({ ok: true, exported_count: 1, dropped_boxes: 0, message: expect.any(String) });
    expect(res).not.toHaveProperty('errors');
    expect(res.labels_dir).toBe(path.join(t.dataDir, 'datasets', id, 'v1', 'labels'));
    expect(readFileSync(labelFile(id, 'train/a.txt'), 'utf8')).toBe('1 0.200000 0.200000 0.200000 0.200000');
    expect(existsSync(labelFile(id, 'val/b.txt'))).toBe(false);
    const files = await unzipToMap(await t.client.datasets.exportAnnotated(id));
    expect(files.get('labels/train/a.txt')?.toString()).toBe('1 0.200000 0.200000 0.200000 0.200000');
    expect((await t.client.datasets.get(id)).label_count).toBe(1);
  });

  test('writes the boxes of the second "a" to labels/val/a.txt, not over train', async () => {
    const id = await uploadPrepared(await zipFiles({
      'images/train/a.jpg': jpeg('train', '000000000009'),
      'images/val/a.jpg': jpeg('val', '000000000036'),
      'labels/train/a.txt': '0 0.5 0.5 0.25 0.25',
    }), { classes: ['cat', 'dog'] });
    const task = await newTask(id);
    const { items } = await t.client.annotations.listItems(task.task_id);
    const valA = items.find((i) => i.split === 'val')!;
    await t.client.annotations.saveItem(task.task_id, valA.image_id, [{ class_id: 1, x1: 0, y1: 0, x2: 481, y2: 640 }]);
    expect(await t.client.annotations.exportYolo(task.task_id)).toMatchObject({ exported_count: 2 });
    expect(readFileSync(labelFile(id, 'val/a.txt'), 'utf8')).toBe('1 0.500000 0.500000 1.000000 1.000000');
    expect(readFileSync(labelFile(id, 'train/a.txt'), 'utf8')).toBe('0 0.500000 0.500000 0.250000 0.250000');
  });

  test('still exports the boxes of images that moved split when the dataset was prepared again', async () => {
    const images = listFiles(path.join(COCO8, 'images'));
    const flat = await zipFiles(Object.fromEntries(images.map((f) => [`photos/${path.basename(f)}`, readFileSync(path.join(COCO8, 'images', f))])));
    const id = await uploadPrepared(flat, { seed: 1, classes: ['thing'] });
    const task = await newTask(id);
    const before = (await t.client.annotations.listItems(task.task_id)).items;
    for (const item of before) await t.client.annotations.saveItem(task.task_id, item.image_id, [{ class_id: 0, x1: 0, y1: 0, x2: 10, y2: 10 }]);
    await t.client.datasets.prepare(id, { seed: 2, classes: ['thing'] });
    const after = (await t.client.annotations.listItems((await newTask(id)).task_id)).items;
    const splitOf = (items: typeof before) => Object.fromEntries(items.map((i) => [i.image_id, i.split]));
    expect(splitOf(after)).not.toEqual(splitOf(before)); // the premise: some image changed split
    const res = await t.client.annotations.exportYolo(task.task_id);
    expect(res).toMatchObject({ ok: true, exported_count: 8 });
    expect(res).not.toHaveProperty('errors');
    for (const item of after) expect(existsSync(labelFile(id, `${item.split}/${item.image_id}.txt`)), item.image_id).toBe(true);
  });

  test('returns 400 "Only yolo format is supported" for format=coco', async () => {
    const error = await expectApiError(t.client.annotations.exportYolo((await newTask()).task_id, 'coco'), 400, /^Only yolo format is supported/);
    expect(error.code).toBe('unsupported_format');
  });

  test('returns 404 "Task not found" for an unknown task', async () => {
    await expectApiError(t.client.annotations.exportYolo('task_unknown'), 404, 'Task not found');
  });

  test('returns 404 when the task\'s dataset was deleted', async () => {
    const id = await uploadPrepared(await zipFiles({ 'data.yaml': 'names: [cat]\n', 'images/train/a.jpg': jpeg('train', '000000000009') }));
    const task = await newTask(id);
    await t.client.datasets.delete(id);
    await expectApiError(t.client.annotations.exportYolo(task.task_id), 404, 'Dataset not found');
  });
});
