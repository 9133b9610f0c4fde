import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Job } from '../../jobs/job.schema.js';
import { describeJobStoreContract } from '../../../test/support/contracts/job-store.contract.js';
import { openPgliteDatabase } from './pglite-database.js';
import type { PostgresDatabase } from './postgres-database.js';
import { createPostgresJobStore } from './postgres-job-store.js';

// One in-memory PGlite for the file (starting one takes about a second); each test starts from empty tables.
let db: PostgresDatabase;
beforeAll(async () => {
  db = await openPgliteDatabase();
});
afterAll(async () => {
  await db.close();
});

describeJobStoreContract('pglite', async () => {
  await db.query('TRUNCATE training_jobs RESTART IDENTITY');
  return createPostgresJobStore(db);
});

describe('pglite: postgres JobStore under concurrent writers', () => {
  const base: Job = {
    job_id: 'job_1', dataset_id: 'ds_1', version: 'v1', model_name: 'yolov8n.pt', base_model_id: null, original_model_path: 'yolov8n.pt',
    epochs: 10, imgsz: 640, batch: -1, status: 'queued', created_at: '2024-01-15T12:00:00.000Z', log_file: '/l', run_dir: '/r', attempt: 1, command: [],
  };

  test('concurrent updates of different keys all land (no write from a stale read)', async () => {
    await db.query('TRUNCATE training_jobs RESTART IDENTITY');
    const store = createPostgresJobStore(db);
    await store.create(base);
    await Promise.all([store.update('job_1', { pid: 7 }), store.update('job_1', { exit_code: 2 }), store.update('job_1', { error: 'x' }), store.update('job_1', { started_at: 'T' })]);
    expect(await store.get('job_1')).toMatchObject({ pid: 7, exit_code: 2, error: 'x', started_at: 'T' });
  });

  test('an update racing a transition never puts the old status back', async () => {
    await db.query('TRUNCATE training_jobs RESTART IDENTITY');
    const store = createPostgresJobStore(db);
    await store.create(base);
    const [moved] = await Promise.all([store.transition('job_1', ['queued'], 'running'), ...Array.from({ length: 10 }, (_, i) => store.update('job_1', { pid: i }))]);
    expect(moved?.status).toBe('running');
    expect((await store.get('job_1'))?.status).toBe('running');
    expect((await store.list({ status: ['running'] })).map((j) => j.job_id)).toEqual(['job_1']);
  });
});
