import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { fixturePath, zipFiles } from '../../../../test/support/fixtures.js';
import { expectRejection } from '../../test/support/expect-core-error.js';
import { createMemoryAnnotationStore } from '../adapters/memory/memory-annotation-store.js';
import { createMemoryBlobStore } from '../adapters/memory/memory-blob-store.js';
import { createMemoryDatasetStore } from '../adapters/memory/memory-dataset-store.js';
import { createSharpImageProbe } from '../adapters/sharp/sharp-image-probe.js';
import { createDatasetService } from '../datasets/dataset-service.js';
import { InvalidStateError, NotFoundError } from '../errors.js';
import type { Clock } from '../platform/clock.port.js';
import { createAnnotationService } from './annotation-service.js';

const clock: Clock = { now: () => new Date('2024-01-15T12:34:56Z') };
const jpeg = (rel: string) => readFileSync(path.join(fixturePath('datasets/coco8/images'), rel));

async function setup() {
  const blobs = createMemoryBlobStore();
  const datasets = createMemoryDatasetStore();
  const datasetService = createDatasetService({ datasets, blobs, images: createSharpImageProbe(), clock });
  const service = createAnnotationService({ annotations: createMemoryAnnotationStore(), datasets, datasetService, blobs, clock });
  const zip = await zipFiles({ 'data.yaml': 'names: [cat]\n', 'images/train/a.jpg': jpeg('train/000000000009.jpg') });
  const { dataset_id } = await datasetService.upload({ filename: 'd.zip', body: Readable.from([zip]) });
  await datasetService.prepare(dataset_id);
  return { blobs, datasets, datasetService, service, datasetId: dataset_id };
}

describe('createAnnotationService (memory adapters, real sharp)', () => {
  test('refuses a task while its dataset is being prepared again (409 preparing, not "not prepared")', async () => {
    const { datasets, service, datasetService, datasetId } = await setup();
    await datasets.transition(datasetId, ['prepared'], 'preparing');
    await expectRejection(service.createTask({ dataset_id: datasetId }), { type: InvalidStateError, reason: 'preparing', message: 'is being prepared' });
    await expectRejection(datasetService.exportZip(datasetId, { withLabels: true }), { type: InvalidStateError, reason: 'preparing' });
    await datasets.transition(datasetId, ['preparing'], 'prepared');
    expect((await service.createTask({ dataset_id: datasetId })).total_images).toBe(1);
  });

  test('tells an unprepared dataset apart from a missing version', async () => {
    const { datasetService, service, datasetId } = await setup();
    const zip = await zipFiles({ 'images/train/a.jpg': jpeg('train/000000000009.jpg') });
    const uploaded = await datasetService.upload({ filename: 'u.zip', body: Readable.from([zip]) });
    await expectRejection(service.createTask({ dataset_id: uploaded.dataset_id }), { type: NotFoundError, reason: 'not_prepared', message: 'prepare it first' });
    await expectRejection(service.createTask({ dataset_id: datasetId, version: 'v2' }), { type: NotFoundError, reason: 'version_not_found', message: 'has no version v2 (it has v1)' });
  });

  test('exports a label file through a blob store without local paths', async () => {
    const { blobs, service, datasetId } = await setup();
    const task = await service.createTask({ dataset_id: datasetId });
    await service.saveItem(task.task_id, 'a', [{ class_id: 0, x1: 0, y1: 0, x2: 640, y2: 480 }]);
    const res = await service.exportYolo(task.task_id);
    expect(res).toMatchObject({ exported_count: 1, labels_dir: `datasets/${datasetId}/v1/labels` });
    expect(res).not.toHaveProperty('errors');
    expect((await blobs.readBytes(`datasets/${datasetId}/v1/labels/train/a.txt`)).toString()).toBe('0 0.500000 0.500000 1.000000 1.000000');
  });

  test('lists images gone from the dataset in errors instead of counting them as exported', async () => {
    const { datasets, service, datasetId } = await setup();
    const task = await service.createTask({ dataset_id: datasetId });
    await service.saveItem(task.task_id, 'a', [{ class_id: 0, x1: 0, y1: 0, x2: 10, y2: 10 }]);
    const report = (await datasets.getReport(datasetId, 'v1'))!;
    await datasets.putVersion(datasetId, 'v1', [], report);
    const res = await service.exportYolo(task.task_id);
    expect(res).toMatchObject({ ok: true, exported_count: 0, errors: [expect.stringMatching(/^a: the image is no longer in dataset/)] });
  });

  test('after the dataset is prepared again with another split, items show where each image is now', async () => {
    const { blobs, datasets, datasetService, service } = await setup();
    const names = ['train/000000000009.jpg', 'train/000000000025.jpg', 'train/000000000030.jpg', 'train/000000000034.jpg', 'val/000000000036.jpg', 'val/000000000042.jpg', 'val/000000000049.jpg', 'val/000000000061.jpg'];
    const zip = await zipFiles(Object.fromEntries(names.map((n) => [`images/${path.basename(n)}`, jpeg(n)])));
    const { dataset_id } = await datasetService.upload({ filename: 'flat.zip', body: Readable.from([zip]) });
    await datasetService.prepare(dataset_id, { split_ratio: { train: 0.5, val: 0.5 }, seed: 1 });
    const task = await service.createTask({ dataset_id });
    const before = (await service.listItems(task.task_id)).items;
    await datasetService.prepare(dataset_id, { split_ratio: { train: 0.5, val: 0.5 }, seed: 2 });
    const now = new Map((await datasets.listImages(dataset_id, 'v1')).map((i) => [path.basename(i.path), i]));
    const after = (await service.listItems(task.task_id)).items;
    const moved = after.filter((item, i) => item.image_path !== before[i]!.image_path);
    expect(moved.length).toBeGreaterThan(0); // seed 2 splits differently: the check below is not vacuous
    for (const item of after) {
      const image = now.get(path.basename(item.image_path))!;
      expect(item.image_path).toBe(`datasets/${dataset_id}/v1/${image.path}`);
      expect(item.split).toBe(image.split);
      expect(await blobs.stat(item.image_path)).toBeDefined();
    }
    const one = await service.getItem(task.task_id, moved[0]!.image_id);
    expect(one.image_path).toBe(moved[0]!.image_path);
  });
});
