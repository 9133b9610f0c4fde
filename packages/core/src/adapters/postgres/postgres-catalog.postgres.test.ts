import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { Dataset } from '../../datasets/dataset.schema.js';
import type { Model } from '../../models/model.schema.js';
import { describeAnnotationStoreContract } from '../../../test/support/contracts/annotation-store.contract.js';
import { describeDatasetStoreContract } from '../../../test/support/contracts/dataset-store.contract.js';
import { createTestSchema, type TestSchema } from '../../../test/support/postgres-server.js';
import { createPostgresAnnotationStore } from './postgres-annotation-store.js';
import type { PostgresDatabase } from './postgres-database.js';
import { createPostgresDatasetStore } from './postgres-dataset-store.js';
import { createPostgresMetricStore } from './postgres-metric-store.js';
import { createPostgresModelStore } from './postgres-model-store.js';

// Two pools on one real server stand for two yoloops servers; PGlite (one connection) cannot show these races.
let s: TestSchema;
let a: PostgresDatabase;
let b: PostgresDatabase;
beforeAll(async () => {
  s = await createTestSchema('h1_catalog');
  a = s.db;
  b = await s.open();
});
afterAll(() => s?.drop());
const empty = () => a.query('TRUNCATE datasets, dataset_versions, dataset_images, annotation_tasks, task_items, annotations, models, training_epoch_metrics');
/** `n` calls spread over both servers at once. */
const both = <T>(n: number, call: (db: PostgresDatabase, i: number) => Promise<T>) => Promise.all(Array.from({ length: n }, (_, i) => call(i % 2 === 0 ? a : b, i)));

describeDatasetStoreContract('postgres', async () => {
  await empty();
  return createPostgresDatasetStore(a);
});
describeAnnotationStoreContract('postgres', async () => {
  await empty();
  return createPostgresAnnotationStore(a);
});

describe('postgres: metric, model and dataset stores shared by two servers', () => {
  beforeEach(empty);

  test('grouped epoch upserts from two servers over the same rows keep the newest attempt, without deadlock', async () => {
    const stores = new Map([[a, createPostgresMetricStore(a)], [b, createPostgresMetricStore(b)]]);
    const calls = Array.from({ length: 400 }, (_, i) => ({ job: `job_${i % 3}`, epoch: (i * 13) % 10, attempt: 1 + ((i * 7) % 5) }));
    const newest = new Map<string, number>();
    for (const c of calls) newest.set(`${c.job}/${c.epoch}`, Math.max(newest.get(`${c.job}/${c.epoch}`) ?? 0, c.attempt));
    const results = await both(calls.length, (db, i) => stores.get(db)!.upsertEpoch(calls[i]!.job, calls[i]!.epoch, { loss: i }, { attempt: calls[i]!.attempt, recorded_at: `T${i}` }));
    // A call of the newest attempt of its row is never refused: ">=" lets it replace its own attempt's rows.
    expect(calls.filter((c, i) => c.attempt === newest.get(`${c.job}/${c.epoch}`) && !results[i])).toEqual([]);
    for (const job of ['job_0', 'job_1', 'job_2']) {
      const rows = await stores.get(a)!.listEpochs(job);
      expect(rows.map((r) => [r.epoch, r.attempt])).toEqual(Array.from({ length: 10 }, (_, e) => [e, newest.get(`${job}/${e}`)]));
    }
    expect(new Set(newest.values()).size).toBeGreaterThan(1);
  });

  test('uses counted on two servers, racing renames, are all kept', async () => {
    const model = { model_id: 'm1', task: 'generate', source: 'trained', classes: [], created_at: 'C', weights: [], weights_path: 'w', file_size: 0, file_size_mb: 0 } as Model;
    await createPostgresModelStore(a).create(model);
    await both(120, (db, i) => (i % 6 === 0 ? createPostgresModelStore(db).update('m1', { name: `n${i}` }) : createPostgresModelStore(db).recordUse('m1', `2024-01-15T12:00:${String(i % 60).padStart(2, '0')}Z`)));
    expect(await createPostgresModelStore(b).get('m1')).toMatchObject({ usage_count: 100, last_used: '2024-01-15T12:00:59Z', name: expect.stringMatching(/^n\d+$/) });
  });

  test('exactly one of 40 transitions spread over two servers wins, and racing updates all land', async () => {
    const ds: Dataset = { dataset_id: 'ds_1', filename: 'f.zip', size: 1, sha256: 'ab', uploaded_at: 'U', created_at: 'C', status: 'uploaded', versions: [] };
    await createPostgresDatasetStore(a).create(ds);
    const results = await both(40, (db, i) => (i % 4 === 1 ? createPostgresDatasetStore(db).update('ds_1', { [`tag_${i}`]: i } as Partial<Dataset>) : createPostgresDatasetStore(db).transition('ds_1', ['uploaded'], 'preparing')));
    expect(results.filter((r, i) => i % 4 !== 1 && r !== undefined)).toHaveLength(1);
    const stored = (await createPostgresDatasetStore(b).get('ds_1')) as Record<string, unknown>;
    expect(stored.status).toBe('preparing');
    expect(Object.keys(stored).filter((k) => k.startsWith('tag_'))).toHaveLength(10);
  });
});
