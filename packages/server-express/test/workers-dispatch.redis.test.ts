import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient } from '@yoloops/client';
import { startServer, type RunningServer } from '@yoloops/server-express';
import { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestRedis, type TestRedis } from '../../core/test/support/redis-server.js';
import { fixturePath, zipDirectory } from '../../../test/support/fixtures.js';
import { jsonInit, rawRequest } from './support/http.js';
import { waitFor } from './support/training.js';

// The real server in dispatch mode (YOLOOPS_REDIS_URL's jobs.dispatch) on a real redis-server, with a BullMQ consumer
// of the test standing for `yoloops worker`: every message it receives is claimed over HTTP.
let redis: TestRedis;
let server: RunningServer;
let dataDir = '';
let datasetId = '';
let consumer: Worker;
const received: string[] = [];
const claims: Array<{ status: number; json: any }> = [];
const warnings: unknown[] = [];

const post = async (p: string, body: unknown) => {
  const res = await rawRequest(server.url, 'POST', p, jsonInit(body));
  return { status: res.status, json: res.json as any };
};
const jobOf = async (id: string) => (await rawRequest(server.url, 'GET', `/train/jobs/${id}`)).json as any;
const beat = (jobs: unknown[] = []) => ({ labels: { gpu: 'a100' }, concurrency: 1, hostname: 'gpu-box', version: 't', jobs });

beforeAll(async () => {
  redis = await startTestRedis();
  dataDir = mkdtempSync(path.join(tmpdir(), 'yoloops-dispatch-'));
  server = await startServer({
    dataDir, port: 0, host: '127.0.0.1', rateLimits: false,
    jobs: { watchdogMs: 250, dispatch: { redisUrl: redis.url, onError: (error) => warnings.push(error) } },
  });
  const client = createClient({ baseUrl: server.url });
  ({ dataset_id: datasetId } = await client.datasets.upload({ data: await zipDirectory(fixturePath('datasets/coco8')), filename: 'coco8.zip' }));
  await client.datasets.prepare(datasetId);
  await client.close();
  await post('/api/workers/w-redis/heartbeat', beat());
  consumer = new Worker('train.gpu=a100', async (message) => {
    received.push(String(message.id));
    claims.push(await post('/api/workers/w-redis/claims', message.data));
  }, { connection: { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null } });
}, 60_000);
afterAll(async () => {
  await consumer?.close();
  await server?.close();
  await redis?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('dispatch mode through BullMQ on a real redis-server', () => {
  test('a created job is a message on its label queue; the worker\'s claim runs it there; a stop reaches it through its heartbeat', async () => {
    const job = (await post('/train/jobs', { dataset_id: datasetId, epochs: 2, worker_labels: { gpu: 'a100' } })).json;
    const running = await waitFor(() => jobOf(job.job_id), (j) => j.status === 'running');
    expect(running).toMatchObject({ worker_id: 'w-redis', attempt: 1 });
    expect(received).toContain(`${job.job_id}.1`);
    expect(claims.find((c) => c.json?.job_id === job.job_id)).toMatchObject({ status: 200, json: { attempt: 1, kind: 'detect' } });
    await post(`/train/jobs/${job.job_id}/stop`, {});
    expect((await post('/api/workers/w-redis/heartbeat', beat([{ job_id: job.job_id, attempt: 1 }]))).json.cancel).toEqual([{ job_id: job.job_id, attempt: 1, reason: 'stopped' }]);
  });

  test('a job created while Redis is down stays queued and is dispatched once Redis is back', async () => {
    await redis.stop();
    let jobId = '';
    try {
      jobId = (await post('/train/jobs', { dataset_id: datasetId, epochs: 2, worker_labels: { gpu: 'a100' } })).json.job_id;
      await waitFor(async () => warnings.length, (n) => n > 0);
      expect((await jobOf(jobId)).status).toBe('queued');
    } finally {
      await redis.start();
    }
    await post('/api/workers/w-redis/heartbeat', beat());
    const running = await waitFor(() => jobOf(jobId), (j) => j.status === 'running', 30_000);
    expect(running).toMatchObject({ worker_id: 'w-redis', attempt: 1 });
  });
});
