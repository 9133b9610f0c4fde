import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { Dataset, DatasetImage, ValidationReport } from '../../datasets/dataset.schema.js';
import { describeDatasetStoreContract } from '../../../test/support/contracts/dataset-store.contract.js';
import { openPgliteDatabase } from './pglite-database.js';
import type { PostgresDatabase } from './postgres-database.js';
import { createPostgresDatasetStore } from './postgres-dataset-store.js';

// One in-memory PGlite for the file; each test starts from empty tables.
let db: PostgresDatabase;
beforeAll(async () => {
  db = await openPgliteDatabase();
});
afterAll(async () => {
  await db.close();
});
const empty = () => db.query('TRUNCATE datasets, dataset_versions, dataset_images');

describeDatasetStoreContract('pglite', async () => {
  await empty();
  return createPostgresDatasetStore(db);
});

const dataset = (id: string): Dataset => ({
  dataset_id: id, filename: `${id}.zip`, size: 1, sha256: 'ab'.repeat(32), uploaded_at: '2024-01-15T12:00:00.000Z',
  created_at: '2024-01-15T12:00:00.000Z', status: 'uploaded', versions: [],
});
const report = { layout: 'ultralytics', root: '', images_total: 0, images_valid: 0, images_invalid: 0, background_images: 0, label_files: 0,
  labels_without_image: 0, label_lines_valid: 0, label_lines_invalid: 0, ignored_entries: 0, issues: [], issues_truncated: 0 } as ValidationReport;

describe('pglite: postgres DatasetStore under concurrent writers', () => {
  beforeEach(empty);

  test('updates of different keys racing a transition all land, and the status is the transition\'s', async () => {
    const store = createPostgresDatasetStore(db);
    await store.create(dataset('ds_1'));
    const [moved] = await Promise.all([
      store.transition('ds_1', ['uploaded'], 'preparing'),
      store.update('ds_1', { description: 'd' }), store.update('ds_1', { tags: ['t'] }), store.update('ds_1', { error: 'e' }),
    ]);
    expect(moved?.status).toBe('uploaded');
    expect(await store.get('ds_1')).toMatchObject({ status: 'preparing', description: 'd', tags: ['t'], error: 'e' });
    expect((await db.query('SELECT status FROM datasets')).rows).toEqual([{ status: 'preparing' }]);
  });

  test('image paths sort by code point, as SQLite sorts them, and a large version goes in whole', async () => {
    const store = createPostgresDatasetStore(db);
    await store.create(dataset('ds_1'));
    const image = (path: string): DatasetImage => ({ path, split: 'val', width: 1, height: 2 });
    await store.putVersion('ds_1', 'v1', ['b.jpg', 'B.jpg', 'a.jpg', 'é.jpg', '_.jpg'].map(image), report);
    expect((await store.listImages('ds_1', 'v1')).map((i) => i.path)).toEqual(['B.jpg', '_.jpg', 'a.jpg', 'b.jpg', 'é.jpg']);
    await store.putVersion('ds_1', 'v2', Array.from({ length: 5000 }, (_, i) => image(`images/${String(i).padStart(5, '0')}.jpg`)), report);
    expect(await store.listImages('ds_1', 'v2')).toHaveLength(5000);
  });

  test('putVersion racing the dataset\'s delete leaves no orphan version', async () => {
    const store = createPostgresDatasetStore(db);
    await store.create(dataset('ds_1'));
    const [put] = await Promise.allSettled([store.putVersion('ds_1', 'v1', [{ path: 'a.jpg', split: 'train', width: 1, height: 1 }], report), store.delete('ds_1')]);
    if (put.status === 'rejected') expect(put.reason).toMatchObject({ code: 'NOT_FOUND' });
    expect((await db.query('SELECT count(*)::integer AS n FROM dataset_versions')).rows).toEqual([{ n: 0 }]);
    expect((await db.query('SELECT count(*)::integer AS n FROM dataset_images')).rows).toEqual([{ n: 0 }]);
  });
});
