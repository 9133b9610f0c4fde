import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createExecaTrainingExecutor } from '../adapters/execa/execa-training-executor.js';
import { createFsBlobStore } from '../adapters/fs/fs-blob-store.js';
import { createMemoryDatasetStore } from '../adapters/memory/memory-dataset-store.js';
import { createMemoryJobDispatcher } from '../adapters/memory/memory-job-dispatcher.js';
import type { PostgresDatabase } from '../adapters/postgres/postgres-database.js';
import { createPostgresJobStore } from '../adapters/postgres/postgres-job-store.js';
import { createPostgresMetricStore } from '../adapters/postgres/postgres-metric-store.js';
import { createPostgresWorkerStore } from '../adapters/postgres/postgres-worker-store.js';
import { InvalidStateError } from '../errors.js';
import { createJobService } from '../jobs/job-service.js';
import { createTestSchema, type TestSchema } from '../../test/support/postgres-server.js';

// Two pools on one schema of a real PostgreSQL server stand for two yoloops servers sharing the job table and the queue.
let schema: TestSchema;
let second: PostgresDatabase;
let dir = '';
let t = Date.parse('2024-01-15T12:00:00.000Z');
const clock = { now: () => new Date(t) };
const dispatcher = createMemoryJobDispatcher();
beforeAll(async () => {
  schema = await createTestSchema('h4_dispatch', { max: 8 });
  second = await schema.open({ max: 8 });
  dir = mkdtempSync(path.join(tmpdir(), 'yoloops-dispatch-pg-'));
});
afterAll(async () => {
  await schema?.drop();
  rmSync(dir, { recursive: true, force: true });
});

async function servers() {
  const blobs = createFsBlobStore(dir);
  await blobs.write('datasets/ds_1/v1/data.yaml', 'names: [cat]\ntrain: images/train\nval: images/train\n');
  const datasets = createMemoryDatasetStore();
  await datasets.create({
    dataset_id: 'ds_1', filename: 'ds_1.zip', size: 1, sha256: 'ab'.repeat(32), uploaded_at: '2024-01-01T00:00:00.000Z',
    created_at: '2024-01-01T00:00:00.000Z', status: 'prepared', versions: ['v1'],
  });
  const server = (db: PostgresDatabase) => createJobService({
    jobs: createPostgresJobStore(db), metrics: createPostgresMetricStore(db), executor: createExecaTrainingExecutor(), clock, datasets, blobs,
    dispatch: { dispatcher, workers: createPostgresWorkerStore(db), timeoutMs: 15_000 },
  });
  return [server(schema.db), server(second)] as const;
}
const beat = { labels: {}, concurrency: 1, hostname: 'h', version: 't', jobs: [] };

describe('dispatch on a real PostgreSQL, two servers', () => {
  test('50 concurrent stops and resumes spread over both servers end in one consistent state', async () => {
    const [a, b] = await servers();
    const job = await a.create({ dataset_id: 'ds_1' });
    await a.workers!.heartbeat('w-1', beat);
    await b.workers!.claim('w-1', { job_id: job.job_id, attempt: 1 });
    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => {
      const server = i % 4 < 2 ? a : b;
      return i % 2 === 0 ? server.stop(job.job_id) : server.resume(job.job_id);
    }));
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(InvalidStateError);
    const stopped = results.filter((r, i) => i % 2 === 0 && r.status === 'fulfilled').length;
    const resumed = results.filter((r, i) => i % 2 === 1 && r.status === 'fulfilled').length;
    const final = await b.get(job.job_id);
    expect(final.attempt).toBe(1 + resumed);
    expect(final.resume_count ?? 0).toBe(resumed);
    expect(stopped === resumed || stopped === resumed + 1).toBe(true);
    expect(final.status).toBe(stopped === resumed ? 'queued' : 'stopped');
  });

  test('eight workers claiming a silent worker\'s job through both servers: one new attempt; the old worker\'s exit is ignored', async () => {
    const [a, b] = await servers();
    const job = await a.create({ dataset_id: 'ds_1' });
    await a.workers!.heartbeat('old', beat);
    await a.workers!.claim('old', { job_id: job.job_id, attempt: 1 });
    t += 20_000;
    const ids = Array.from({ length: 8 }, (_, i) => `w-${i}`);
    for (const id of ids) await b.workers!.heartbeat(id, beat);
    const results = await Promise.allSettled(ids.map((id, i) => (i % 2 ? a : b).workers!.claim(id, { job_id: job.job_id, attempt: 1 })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const after = await a.get(job.job_id);
    expect(after).toMatchObject({ status: 'running', attempt: 2, resume_count: 1 });
    expect(ids).toContain(after.worker_id);
    expect(await b.workers!.exit('old', job.job_id, { attempt: 1, code: 1, signal: null })).toEqual({ stored: false, status: 'running' });
    expect((await a.workers!.heartbeat('old', { ...beat, jobs: [{ job_id: job.job_id, attempt: 1 }] })).cancel).toEqual([{ job_id: job.job_id, attempt: 1, reason: 'superseded' }]);
  });
});
