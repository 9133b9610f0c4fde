import { beforeEach, describe, expect, test } from 'vitest';
import type { DatasetStore } from '../../../src/datasets/dataset-store.port.js';
import type { Dataset, DatasetImage, ValidationReport } from '../../../src/datasets/dataset.schema.js';

const dataset = (id: string, overrides: Partial<Dataset> = {}): Dataset => ({
  dataset_id: id,
  filename: `${id}.zip`,
  size: 1234,
  sha256: 'ab'.repeat(32),
  uploaded_at: '2024-01-15T12:00:00.000Z',
  created_at: '2024-01-15T12:00:00.000Z',
  status: 'uploaded',
  versions: [],
  ...overrides,
});

const FULL: Dataset = dataset('ds_full', {
  status: 'prepared',
  versions: ['v1', 'v2'],
  version: 'v2',
  image_count: 10,
  label_count: 9,
  classes: ['cat', 'dog', 'naïve ☃'],
  prepared_at: '2024-01-15T12:05:00.000Z',
  train_count: 7,
  val_count: 2,
  test_count: 1,
  layout: 'roboflow',
  split_seed: 42,
  split_source: 'seeded',
  data_yaml: '/data/datasets/ds_full/v2/data.yaml',
  description: 'line 1\nline "2"',
  tags: ['a', 'b'],
  updated_at: '2024-01-15T12:06:00.000Z',
  error: 'previous prepare failed',
});

const report = (images: number): ValidationReport => ({
  layout: 'ultralytics',
  root: '',
  images_total: images,
  images_valid: images,
  images_invalid: 0,
  background_images: 0,
  label_files: images,
  labels_without_image: 0,
  label_lines_valid: images * 2,
  label_lines_invalid: 0,
  ignored_entries: 0,
  issues: [{ file: 'labels/a.txt', line: 3, code: 'coordinate_out_of_range', message: 'x > 1' }],
  issues_truncated: 0,
});

const image = (path: string, labelPath?: string): DatasetImage => ({
  path,
  split: 'train',
  width: 640,
  height: 480,
  ...(labelPath === undefined ? {} : { label_path: labelPath }),
});

/**
 * Behaviour every `DatasetStore` adapter must show; each test gets a fresh store from `factory`.
 * @example describeDatasetStoreContract('memory', () => createMemoryDatasetStore());
 */
export function describeDatasetStoreContract(name: string, factory: () => Promise<DatasetStore> | DatasetStore): void {
  describe(`${name}: DatasetStore contract`, () => {
    let store: DatasetStore;
    beforeEach(async () => {
      store = await factory();
    });

    test('round-trips a record with every optional field, and one with none', async () => {
      await store.create(FULL);
      await store.create(dataset('ds_min'));
      expect(await store.get('ds_full')).toStrictEqual(FULL);
      expect(await store.get('ds_min')).toStrictEqual(dataset('ds_min'));
      expect(await store.get('ds_missing')).toBeUndefined();
    });

    test('create rejects an existing id with CONFLICT and keeps the first record', async () => {
      await store.create(dataset('ds_1'));
      await expect(store.create(dataset('ds_1', { filename: 'other.zip' }))).rejects.toMatchObject({ code: 'CONFLICT' });
      expect((await store.get('ds_1'))?.filename).toBe('ds_1.zip');
    });

    test('hands out copies: changing a returned record does not change the store', async () => {
      const input = dataset('ds_1', { tags: ['x'] });
      await store.create(input);
      input.tags?.push('changed-after-create');
      const got = await store.get('ds_1');
      got?.tags?.push('changed-after-get');
      expect((await store.get('ds_1'))?.tags).toEqual(['x']);
    });

    test('list returns the newest upload first, ties by id descending', async () => {
      expect(await store.list()).toEqual([]);
      await store.create(dataset('ds_b', { uploaded_at: '2024-01-02T00:00:00.000Z' }));
      await store.create(dataset('ds_old', { uploaded_at: '2023-12-31T00:00:00.000Z' }));
      await store.create(dataset('ds_a', { uploaded_at: '2024-01-02T00:00:00.000Z' }));
      await store.create(dataset('ds_new', { uploaded_at: '2024-02-01T00:00:00.000Z' }));
      expect((await store.list()).map((d) => d.dataset_id)).toEqual(['ds_new', 'ds_b', 'ds_a', 'ds_old']);
    });

    describe('update', () => {
      test('merges the patch, removes keys set to undefined, and returns the stored record', async () => {
        await store.create(FULL);
        const updated = await store.update('ds_full', { description: 'new', error: undefined, tags: [] });
        const { error: _removed, ...rest } = FULL;
        expect(updated).toStrictEqual({ ...rest, description: 'new', tags: [] });
        expect(await store.get('ds_full')).toStrictEqual(updated);
      });

      test('keeps the id, and status and upload time stay in step with list and transition', async () => {
        await store.create(dataset('ds_1'));
        await store.create(dataset('ds_2', { uploaded_at: '2024-06-01T00:00:00.000Z' }));
        await store.update('ds_1', { dataset_id: 'ds_other', status: 'prepared', uploaded_at: '2025-01-01T00:00:00.000Z' });
        expect(await store.get('ds_other')).toBeUndefined();
        expect((await store.list()).map((d) => d.dataset_id)).toEqual(['ds_1', 'ds_2']);
        expect(await store.transition('ds_1', ['uploaded'], 'preparing')).toBeUndefined();
        expect((await store.transition('ds_1', ['prepared'], 'preparing'))?.status).toBe('prepared');
      });

      test('rejects a missing id with NOT_FOUND', async () => {
        await expect(store.update('ds_missing', { description: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
        expect(await store.list()).toEqual([]);
      });
    });

    describe('transition', () => {
      test('moves the status when it matches and returns the record as it was', async () => {
        await store.create(FULL);
        const before = await store.transition('ds_full', ['uploaded', 'prepared'], 'preparing');
        expect(before).toStrictEqual(FULL);
        expect(await store.get('ds_full')).toStrictEqual({ ...FULL, status: 'preparing' });
      });

      test('returns undefined and changes nothing when the status, the id or the from-list does not match', async () => {
        await store.create(dataset('ds_1'));
        expect(await store.transition('ds_1', ['preparing', 'prepared'], 'prepared')).toBeUndefined();
        expect(await store.transition('ds_1', [], 'prepared')).toBeUndefined();
        expect(await store.transition('ds_missing', ['uploaded'], 'preparing')).toBeUndefined();
        expect(await store.get('ds_1')).toStrictEqual(dataset('ds_1'));
      });

      test('merges a patch in the same write (undefined keys removed) and leaves the record alone when the status does not match', async () => {
        await store.create({ ...dataset('ds_p'), error: 'old failure' });
        expect(await store.transition('ds_p', ['uploaded'], 'preparing', { prepare_server_id: 'srv_a', error: undefined })).toStrictEqual({ ...dataset('ds_p'), error: 'old failure' });
        expect(await store.get('ds_p')).toStrictEqual({ ...dataset('ds_p'), status: 'preparing', prepare_server_id: 'srv_a' });
        expect(await store.transition('ds_p', ['uploaded'], 'prepared', { prepare_server_id: 'srv_b' })).toBeUndefined();
        expect((await store.get('ds_p'))?.prepare_server_id).toBe('srv_a');
      });

      test('lets exactly one of 50 concurrent transitions win', async () => {
        await store.create(dataset('ds_race'));
        const results = await Promise.all(
          Array.from({ length: 50 }, () => store.transition('ds_race', ['uploaded'], 'preparing')),
        );
        expect(results.filter((r) => r !== undefined)).toEqual([dataset('ds_race')]);
        expect((await store.get('ds_race'))?.status).toBe('preparing');
      });
    });

    describe('versions', () => {
      test('stores images sorted by path with optional label paths, and the report', async () => {
        await store.create(dataset('ds_1'));
        const images = [image('images/val/b.jpg'), image('images/train/z.jpg', 'labels/train/z.txt'), image('images/train/a.png')];
        await store.putVersion('ds_1', 'v1', images, report(3));
        expect(await store.listImages('ds_1', 'v1')).toStrictEqual([images[2], images[1], images[0]]);
        expect(await store.getReport('ds_1', 'v1')).toStrictEqual(report(3));
      });

      test('putVersion replaces only that version', async () => {
        await store.create(dataset('ds_1'));
        await store.putVersion('ds_1', 'v1', [image('a.jpg'), image('b.jpg')], report(2));
        await store.putVersion('ds_1', 'v2', [image('c.jpg')], report(1));
        await store.putVersion('ds_1', 'v1', [image('d.jpg')], report(1));
        expect(await store.listImages('ds_1', 'v1')).toStrictEqual([image('d.jpg')]);
        expect(await store.listImages('ds_1', 'v2')).toStrictEqual([image('c.jpg')]);
        expect(await store.getReport('ds_1', 'v1')).toStrictEqual(report(1));
        await store.putVersion('ds_1', 'v2', [], report(0));
        expect(await store.listImages('ds_1', 'v2')).toEqual([]);
      });

      test('a duplicate image path rejects the whole call and keeps the previous version', async () => {
        await store.create(dataset('ds_1'));
        await store.putVersion('ds_1', 'v1', [image('a.jpg')], report(1));
        await expect(store.putVersion('ds_1', 'v1', [image('b.jpg'), image('b.jpg')], report(2))).rejects.toMatchObject({
          code: 'INVALID_INPUT',
        });
        expect(await store.listImages('ds_1', 'v1')).toStrictEqual([image('a.jpg')]);
        expect(await store.getReport('ds_1', 'v1')).toStrictEqual(report(1));
      });

      test('unknown datasets and versions read as empty; putVersion on one is NOT_FOUND', async () => {
        await expect(store.putVersion('ds_missing', 'v1', [image('a.jpg')], report(1))).rejects.toMatchObject({ code: 'NOT_FOUND' });
        expect(await store.listImages('ds_missing', 'v1')).toEqual([]);
        expect(await store.getReport('ds_missing', 'v1')).toBeUndefined();
      });
    });

    test('delete removes the record with its images and reports, once', async () => {
      await store.create(dataset('ds_1'));
      await store.create(dataset('ds_2'));
      await store.putVersion('ds_1', 'v1', [image('a.jpg')], report(1));
      await store.putVersion('ds_2', 'v1', [image('b.jpg')], report(1));
      expect(await store.delete('ds_1')).toBe(true);
      expect(await store.delete('ds_1')).toBe(false);
      expect(await store.get('ds_1')).toBeUndefined();
      await store.create(dataset('ds_1'));
      expect(await store.listImages('ds_1', 'v1')).toEqual([]);
      expect(await store.getReport('ds_1', 'v1')).toBeUndefined();
      expect(await store.listImages('ds_2', 'v1')).toStrictEqual([image('b.jpg')]);
    });

    test('stored text and keys named __proto__ never change a prototype', async () => {
      const hostile = '{"__proto__":{"admin":true}}';
      const parsed = JSON.parse(`{"__proto__":{"admin":true},"description":${JSON.stringify(hostile)}}`) as Partial<Dataset>;
      await store.create({ ...dataset('ds_1'), ...parsed });
      await store.update('ds_1', JSON.parse('{"__proto__":{"admin":true},"tags":["__proto__"]}') as Partial<Dataset>);
      const got = await store.get('ds_1');
      const [listed] = await store.list();
      for (const record of [got, listed]) {
        expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
        expect((record as { admin?: unknown }).admin).toBeUndefined();
        expect(record?.description).toBe(hostile);
        expect(record?.tags).toEqual(['__proto__']);
      }
      expect(({} as { admin?: unknown }).admin).toBeUndefined();
    });
  });
}
