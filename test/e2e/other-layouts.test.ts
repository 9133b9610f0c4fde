import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fixturePath, listFiles, zipFiles } from '../support/fixtures.js';
import { annotateAndRoundTrip } from '../support/round-trip.js';
import { startTestServer, type TestServer } from '../support/server.js';

const COCO8 = fixturePath('datasets/coco8');
const images = listFiles(path.join(COCO8, 'images')); // train/x.jpg, val/y.jpg
const read = (...p: string[]) => readFileSync(path.join(COCO8, ...p));
const stem = (f: string) => path.basename(f, '.jpg');

/** COCO8 rearranged the way Roboflow exports YOLOv8 datasets (train/valid/test, ../ paths in data.yaml). */
async function roboflowZip(): Promise<Buffer> {
  const files: Record<string, Buffer | string> = {
    'data.yaml': 'train: ../train/images\nval: ../valid/images\ntest: ../test/images\nnc: 80\nnames: [' +
      readFileSync(path.join(COCO8, 'data.yaml'), 'utf8').match(/^\s+\d+: .+$/gm)!.map((l) => `'${l.split(': ')[1]!.trim()}'`).join(', ') + ']\n',
    'README.roboflow.txt': 'exported from roboflow',
  };
  images.forEach((f, i) => {
    const split = i < 4 ? 'train' : i < 6 ? 'valid' : 'test';
    const [orig] = f.split('/');
    files[`${split}/images/${stem(f)}.jpg`] = read('images', f);
    files[`${split}/labels/${stem(f)}.txt`] = read('labels', orig!, `${stem(f)}.txt`);
  });
  return zipFiles(files);
}

describe('other dataset layouts', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t.close());

  test('a Roboflow export keeps its train/valid/test split and names', async () => {
    const api = t.client;
    const ds = await api.datasets.upload({ data: await roboflowZip(), filename: 'roboflow.zip' });
    const prepared = await api.datasets.prepare(ds.dataset_id, {});
    expect(prepared).toMatchObject({ layout: 'roboflow', split_source: 'zip', train_count: 4, val_count: 2, test_count: 2, image_count: 8, label_count: 8 });
    expect(prepared.classes).toHaveLength(80);
    expect(prepared.report.ignored_entries).toBe(1);
    const yaml = readFileSync(prepared.data_yaml, 'utf8');
    expect(yaml).toMatch(/test: images\/test/);
    const task = await api.annotations.createTask({ dataset_id: ds.dataset_id, version: 'v1' });
    expect(task.imported_annotations).toBe(8);
    const files = await annotateAndRoundTrip(api, ds.dataset_id);
    expect([...files.keys()].filter((k) => k.startsWith('labels/test/'))).toHaveLength(2);
  });

  test('a flat ZIP of unlabeled images is split 0.8/0.2 by seed, reproducibly', async () => {
    const api = t.client;
    const flat = await zipFiles(Object.fromEntries(images.map((f) => [`photos/${stem(f)}.jpg`, read('images', f)])));
    const splitOf = async (seed: number) => {
      const ds = await api.datasets.upload({ data: flat, filename: 'flat.zip' });
      const prepared = await api.datasets.prepare(ds.dataset_id, { split_ratio: { train: 0.8, val: 0.2 }, seed });
      expect(prepared).toMatchObject({ layout: 'flat', split_source: 'seeded', image_count: 8, label_count: 0, classes: [], train_count: 6, val_count: 2 });
      expect(prepared.report.background_images).toBe(8);
      const task = await api.annotations.createTask({ dataset_id: ds.dataset_id, classes: ['cat', 'dog'] });
      expect(task.classes).toEqual(['cat', 'dog']);
      const { items } = await api.annotations.listItems(task.task_id);
      return Object.fromEntries(items.map((i) => [i.image_id, i.split]));
    };
    const first = await splitOf(42);
    expect(await splitOf(42)).toEqual(first);
    const ds = (await api.datasets.list()).datasets.find((d) => d.layout === 'flat')!;
    const files = await annotateAndRoundTrip(api, ds.dataset_id, ['cat', 'dog']);
    expect([...files.keys()].filter((k) => k.startsWith('labels/'))).toHaveLength(1);
    expect(files.get('data.yaml')?.toString()).toContain('names:\n  - cat\n  - dog\nnc: 2');
    expect((await api.datasets.get(ds.dataset_id)).classes).toEqual(['cat', 'dog']);
    const others = await Promise.all([1, 2, 3].map(splitOf));
    expect(others.some((s) => JSON.stringify(s) !== JSON.stringify(first))).toBe(true);
  });

  test('re-splitting a ZIP that has splits honours split_ratio and resplit', async () => {
    const api = t.client;
    const ds = await api.datasets.upload({ data: await roboflowZip(), filename: 'roboflow.zip' });
    const prepared = await api.datasets.prepare(ds.dataset_id, { split_ratio: { train: 0.5, val: 0.25, test: 0.25 }, seed: 3, resplit: true });
    expect(prepared).toMatchObject({ split_source: 'seeded', train_count: 4, val_count: 2, test_count: 2, label_count: 8 });
  });
});
