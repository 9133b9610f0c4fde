import { Readable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { fixturePath, zipDirectory, zipFiles } from '../../../../test/support/fixtures.js';
import { createMemoryBlobStore } from '../adapters/memory/memory-blob-store.js';
import { createMemoryDatasetStore } from '../adapters/memory/memory-dataset-store.js';
import { createSharpImageProbe } from '../adapters/sharp/sharp-image-probe.js';
import type { Clock } from '../platform/clock.port.js';
import { createDatasetService } from './dataset-service.js';

const fixedClock: Clock = { now: () => new Date('2024-01-15T12:34:56Z') };

function setup() {
  const blobs = createMemoryBlobStore();
  const datasets = createMemoryDatasetStore();
  const service = createDatasetService({ datasets, blobs, images: createSharpImageProbe(), clock: fixedClock });
  const upload = async (zip: Buffer, filename = 'd.zip') => service.upload({ filename, body: Readable.from([zip]) });
  return { blobs, datasets, service, upload };
}

describe('createDatasetService (memory adapters, real sharp)', () => {
  test('prepares COCO8 from bytes when the blob store has no local paths', async () => {
    const { service, upload, blobs } = setup();
    const ds = await upload(await zipDirectory(fixturePath('datasets/coco8'), 'coco8'));
    expect(ds.dataset_id).toMatch(/^ds_20240115_123456_[0-9a-f]{8}$/);
    const prepared = await service.prepare(ds.dataset_id);
    expect(prepared).toMatchObject({ image_count: 8, train_count: 4, val_count: 4, layout: 'ultralytics', data_yaml: `datasets/${ds.dataset_id}/v1/data.yaml` });
    const keys = await blobs.list(`datasets/${ds.dataset_id}/v1`);
    expect(keys.filter((k) => k.includes('/images/'))).toHaveLength(8);
    expect(keys.filter((k) => k.includes('/labels/'))).toHaveLength(8);
    expect(keys.some((k) => k.includes('.staging-'))).toBe(false);
  });

  test('ids made in the same second never collide', async () => {
    const { upload } = setup();
    const zip = await zipFiles({ 'a.jpg': Buffer.from('x') });
    const ids = await Promise.all(Array.from({ length: 20 }, () => upload(zip).then((d) => d.dataset_id)));
    expect(new Set(ids).size).toBe(20);
  });

  test('a failed re-prepare keeps the prepared version and records the error', async () => {
    const { service, upload, blobs, datasets } = setup();
    const ds = await upload(await zipDirectory(fixturePath('datasets/coco8'), 'coco8'));
    await service.prepare(ds.dataset_id);
    const before = await blobs.list(`datasets/${ds.dataset_id}/v1`);
    await expect(service.prepare(ds.dataset_id, { split_ratio: { train: 0.9, val: 0.9 } })).rejects.toThrow(/sum to 1/);
    expect(await blobs.list(`datasets/${ds.dataset_id}/v1`)).toEqual(before);
    expect(await datasets.get(ds.dataset_id)).toMatchObject({ status: 'prepared', error: expect.stringMatching(/sum to 1/) });
  });

  test('rejects a ZIP without decodable images and leaves the dataset uploaded', async () => {
    const { service, upload, datasets, blobs } = setup();
    const ds = await upload(await zipFiles({ 'a.jpg': 'not a jpeg', 'b.txt': '0 0.5 0.5 0.1 0.1' }));
    await expect(service.prepare(ds.dataset_id)).rejects.toMatchObject({ reason: 'no_images' });
    expect((await datasets.get(ds.dataset_id))?.status).toBe('uploaded');
    expect(await blobs.list(`datasets/${ds.dataset_id}`)).toEqual([]);
  });

  test('recovers datasets left preparing by a crash', async () => {
    const { service, upload, datasets } = setup();
    const ds = await upload(await zipFiles({ 'a.jpg': 'x' }));
    await datasets.transition(ds.dataset_id, ['uploaded'], 'preparing');
    expect(await service.recoverInterrupted()).toBe(1);
    expect((await datasets.get(ds.dataset_id))?.status).toBe('uploaded');
  });
});
