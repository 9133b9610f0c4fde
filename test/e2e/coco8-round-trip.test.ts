import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseYoloLabels, yoloToPixelBox } from '@yoloops/core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fixturePath, listFiles, unzipToMap, zipDirectory } from '../support/fixtures.js';
import { startTestServer, type TestServer } from '../support/server.js';

const COCO8 = fixturePath('datasets/coco8');
const labelOf = (split: string, stem: string) => readFileSync(path.join(COCO8, 'labels', split, `${stem}.txt`), 'utf8');

describe('COCO8: upload → prepare → annotate → export → re-upload', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t.close());

  test('the whole flow round-trips through the typed client', async () => {
    const api = t.client;
    const zip = await zipDirectory(COCO8, 'coco8');
    let progress = 0;
    const uploaded = await api.datasets.upload({ data: zip, filename: 'coco8.zip' }, { onProgress: (p) => (progress = p.sentBytes) });
    expect(progress).toBe(zip.length);
    expect(uploaded).toMatchObject({ filename: 'coco8.zip', size: zip.length, status: 'uploaded' });
    expect(uploaded.dataset_id).toMatch(/^ds_\d{8}_\d{6}_[0-9a-f]{8}$/);

    const prepared = await api.datasets.prepare(uploaded.dataset_id, {});
    expect(prepared).toMatchObject({ status: 'prepared', version: 'v1', layout: 'ultralytics', split_source: 'zip', image_count: 8, label_count: 8, train_count: 4, val_count: 4 });
    expect(prepared.classes).toHaveLength(80);
    expect(prepared.classes?.[0]).toBe('person');
    expect(prepared.report.issues).toEqual([]);
    expect(readFileSync(prepared.data_yaml, 'utf8')).toContain('train: images/train');

    const task = await api.annotations.createTask({ dataset_id: uploaded.dataset_id });
    expect(task).toMatchObject({ total_images: 8, imported_annotations: 8 });
    const { items } = await api.annotations.listItems(task.task_id);
    expect(items).toHaveLength(8);
    for (const item of items) {
      const file = path.join(COCO8, item.image_path.replace(/^.*\/v1\//, ''));
      const meta = await sharp(file).metadata();
      expect([item.width, item.height]).toEqual([meta.width, meta.height]);
      expect(item.annotated).toBe(true);
      const detail = await api.annotations.getItem(task.task_id, item.image_id);
      const want = parseYoloLabels(labelOf(item.split, item.image_id)).rows;
      expect(detail.boxes).toHaveLength(want.length);
      detail.boxes.forEach((box, i) => {
        const w = yoloToPixelBox(want[i]!, item.width, item.height);
        expect(box.class_id).toBe(w.class_id);
        for (const k of ['x1', 'y1', 'x2', 'y2'] as const) expect(Math.abs(box[k] - w[k]) / (k[0] === 'x' ? item.width : item.height)).toBeLessThan(1e-6);
      });
    }

    const target = items.find((i) => i.image_id === '000000000009')!;
    await api.annotations.saveItem(task.task_id, target.image_id, [
      { class_id: 0, x1: 10, y1: 20, x2: 110, y2: 220 },
      { class_id: 5, x1: target.width + 50, y1: 50, x2: target.width - 40, y2: 10 }, // swapped and partly outside
    ]);
    const empty = items.find((i) => i.image_id === '000000000025')!;
    await api.annotations.saveItem(task.task_id, empty.image_id, []);
    const exported = await api.annotations.exportYolo(task.task_id);
    expect(exported).toMatchObject({ ok: true, exported_count: 8 });

    const bytes = await api.datasets.exportAnnotated(uploaded.dataset_id);
    const files = await unzipToMap(bytes);
    expect([...files.keys()].filter((n) => n.startsWith('images/')).sort()).toEqual(listFiles(path.join(COCO8, 'images')).map((f) => `images/${f}`));
    const W = target.width;
    const H = target.height;
    const fmt = (v: number) => v.toFixed(6);
    expect(files.get('labels/train/000000000009.txt')?.toString()).toBe(
      [`0 ${fmt(60 / W)} ${fmt(120 / H)} ${fmt(100 / W)} ${fmt(200 / H)}`, `5 ${fmt((W - 40 + W) / 2 / W)} ${fmt(30 / H)} ${fmt(40 / W)} ${fmt(40 / H)}`].join('\n'),
    );
    expect(files.get('labels/train/000000000025.txt')?.toString()).toBe('');
    expect(files.get('data.yaml')?.toString()).toContain('nc: 80');

    const again = await api.datasets.upload({ data: bytes, filename: 'coco8_annotated.zip' });
    const prepared2 = await api.datasets.prepare(again.dataset_id, {});
    expect(prepared2).toMatchObject({ image_count: 8, train_count: 4, val_count: 4, classes: prepared.classes, layout: 'ultralytics' });
    const files2 = await unzipToMap(await api.datasets.exportAnnotated(again.dataset_id));
    expect([...files2.keys()].sort()).toEqual([...files.keys()].sort());
    for (const [name, data] of files) expect(files2.get(name)?.equals(data), name).toBe(true);
  });
});
