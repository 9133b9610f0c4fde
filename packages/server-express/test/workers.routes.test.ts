import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient } from '@yoloops/client';
import { createMemoryJobDispatcher, type MemoryJobDispatcher } from '@yoloops/core';
import { createNodePlatform, type NodePlatform } from '@yoloops/core/node';
import { createApp } from '@yoloops/server-express';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fixturePath, unzipToMap, zipDirectory } from '../../../test/support/fixtures.js';
import { workersCommand } from '../src/workers-cli.js';
import { startAuthServer, type AuthServer } from './support/auth.js';
import { jsonInit, rawRequest } from './support/http.js';

let dataDir = '';
let platform: NodePlatform;
let http: Server;
let url = '';
let datasetId = '';
let dispatcher: MemoryJobDispatcher;
beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'yoloops-workers-'));
  dispatcher = createMemoryJobDispatcher();
  platform = await createNodePlatform({ dataDir, jobs: { watchdogMs: 60_000, dispatch: { dispatcher, timeoutMs: 15_000 } } });
  http = await new Promise<Server>((resolve) => {
    const s = createApp({ services: platform, rateLimits: false }).listen(0, '127.0.0.1', () => resolve(s));
  });
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const client = createClient({ baseUrl: url });
  ({ dataset_id: datasetId } = await client.datasets.upload({ data: await zipDirectory(fixturePath('datasets/coco8')), filename: 'coco8.zip' }));
  await client.datasets.prepare(datasetId);
  await client.close();
}, 30_000);
afterAll(async () => {
  http?.closeAllConnections();
  await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
  await platform?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const post = async (p: string, body: unknown) => {
  const res = await rawRequest(url, 'POST', p, jsonInit(body));
  return { status: res.status, json: res.json as any };
};
const get = (p: string) => rawRequest(url, 'GET', p);
const beat = (jobs: { job_id: string; attempt: number }[] = [], labels: Record<string, string> = { gpu: 'a100' }) =>
  ({ labels, concurrency: 2, hostname: 'gpu-box', version: '0.1.0', jobs, gpus: [] });
const newJob = async (extra: Record<string, unknown> = {}) => (await post('/train/jobs', { dataset_id: datasetId, epochs: 3, ...extra })).json;

describe('worker routes (dispatch mode, in-process queue)', () => {
  test('POST /train/jobs keeps worker_labels and queues a message on their queue; bad labels are a 400/422', async () => {
    const job = await newJob({ worker_labels: { gpu: 'a100' } });
    expect(job).toMatchObject({ status: 'queued', worker_labels: { gpu: 'a100' } });
    await platform.jobs.checkAlive();
    expect(dispatcher.pending()).toContainEqual({ id: `${job.job_id}.1`, queue: 'train.gpu=a100', message: { job_id: job.job_id, attempt: 1 } });
    const bad = await post('/train/jobs', { dataset_id: datasetId, worker_labels: { 'GPU!': 'x' } });
    expect([400, 422]).toContain(bad.status);
    expect(JSON.stringify(bad.json)).toContain('worker_labels');
  });

  test('heartbeat, claim, downloads, GET /workers, stop through cancel, exit', async () => {
    const job = await newJob();
    expect((await post('/api/workers/w-a/heartbeat', beat())).json).toEqual({ cancel: [], heartbeat_ms: 2000, timeout_ms: 15_000 });
    const claimed = await post('/api/workers/w-a/claims', { job_id: job.job_id, attempt: 1 });
    expect(claimed.status).toBe(200);
    expect(claimed.json).toMatchObject({
      job_id: job.job_id, attempt: 1, kind: 'detect', resume: false, weights: null, values: { epochs: '3', model: 'yolov8n.pt', name: 'train' },
      dataset: { url: `/api/workers/jobs/${job.job_id}/dataset?attempt=1`, dataset_id: datasetId, version: 'v1' },
    });
    expect(claimed.json.trainer).toContain('data={data}');
    const refused = await post('/api/workers/w-b/claims', { job_id: job.job_id, attempt: 1 });
    expect(refused).toMatchObject({ status: 409, json: { reason: 'held_by_live_worker' } });

    const zip = await get(claimed.json.dataset.url);
    expect(zip.status).toBe(200);
    const files = await unzipToMap(zip.bytes);
    const yaml = files.get('data.yaml')?.toString('utf8') ?? '';
    expect(yaml).toContain('train: images/train');
    expect(yaml).not.toContain('path:');
    expect([...files.keys()].some((name) => name.startsWith('labels/train/'))).toBe(true);
    expect((await get(`/api/workers/jobs/${job.job_id}/dataset?attempt=2`)).status).toBe(409);
    expect((await get(`/api/workers/jobs/${job.job_id}/weights?attempt=1`)).status).toBe(404);

    const listed = (await get('/workers')).json as any[];
    expect(listed.find((w) => w.worker_id === 'w-a')).toMatchObject({ current_job: job.job_id, alive: true, labels: { gpu: 'a100' }, concurrency: 2, hostname: 'gpu-box' });
    expect((await get('/api/workers')).json).toEqual(listed);

    expect((await post(`/train/jobs/${job.job_id}/stop`, {})).json).toMatchObject({ ok: true, status: 'stopped' });
    expect((await post('/api/workers/w-a/heartbeat', beat([{ job_id: job.job_id, attempt: 1 }]))).json.cancel).toEqual([{ job_id: job.job_id, attempt: 1, reason: 'stopped' }]);
    expect((await post(`/api/workers/w-a/jobs/${job.job_id}/exit`, { attempt: 1, code: null, signal: 'SIGTERM' })).json).toEqual({ stored: true, status: 'stopped' });
    expect((await post(`/api/workers/w-b/jobs/${job.job_id}/exit`, { attempt: 1, code: 1, signal: null })).json).toEqual({ stored: false, status: 'stopped' });
  });

  test('a resumed attempt downloads the stored checkpoint as its weights', async () => {
    const job = await newJob();
    await post('/api/workers/w-c/heartbeat', beat());
    await post('/api/workers/w-c/claims', { job_id: job.job_id, attempt: 1 });
    await platform.blobs.write(`jobs/${job.job_id}/train/weights/last.pt`, 'checkpoint of epoch 2');
    await post(`/train/jobs/${job.job_id}/stop`, {});
    await post(`/train/jobs/${job.job_id}/resume`, {});
    const order = (await post('/api/workers/w-c/claims', { job_id: job.job_id, attempt: 2 })).json;
    expect(order).toMatchObject({ attempt: 2, resume: true, weights: { url: `/api/workers/jobs/${job.job_id}/weights?attempt=2`, file_name: 'last.pt' } });
    const weights = await get(order.weights.url);
    expect(weights.status).toBe(200);
    expect(weights.text).toBe('checkpoint of epoch 2');
  });

  test('unsafe worker ids and malformed bodies are refused before anything is stored', async () => {
    expect((await post(`/api/workers/${'a'.repeat(65)}/heartbeat`, beat())).status).toBe(400);
    expect((await post('/api/workers/.hidden/heartbeat', beat())).status).toBe(400);
    expect([400, 422]).toContain((await post('/api/workers/w-d/heartbeat', { ...beat(), concurrency: 0 })).status);
    expect([400, 422]).toContain((await post('/api/workers/w-d/claims', { job_id: '../etc', attempt: 1 })).status);
    expect((await post('/api/workers/w-d/claims', { job_id: 'job_20240101_000000_deadbeef', attempt: 1 })).status).toBe(404);
    expect(((await get('/workers')).json as any[]).map((w) => w.worker_id)).not.toContain('w-d');
  });
});

describe('worker routes with auth required', () => {
  let auth: AuthServer;
  beforeAll(async () => {
    auth = await startAuthServer({ jobs: { dispatch: { dispatcher: createMemoryJobDispatcher() } } });
  }, 30_000);
  afterAll(async () => auth?.close());

  test('a worker token (yoloops workers token) or an admin reaches them; no token or a member\'s does not; a worker token reaches nothing else', async () => {
    const lines: string[] = [];
    expect(await workersCommand(['token', '--days', '2', '--data', auth.dataDir], {}, (line) => lines.push(line))).toBe(0);
    const workerToken = lines[0] ?? '';
    expect(workerToken.split('.')).toHaveLength(3);
    const member = await auth.member('alice');
    const heartbeat = (token?: string) => auth.call('POST', '/api/workers/w-1/heartbeat', { ...(token ? { token } : {}), json: beat() });
    expect((await heartbeat()).status).toBe(401);
    expect((await heartbeat(member.token)).status).toBe(403);
    expect((await heartbeat(workerToken)).status).toBe(200);
    expect((await heartbeat(auth.adminToken)).status).toBe(200);
    expect((await auth.call('GET', '/workers', { token: workerToken })).json).toMatchObject([{ worker_id: 'w-1', alive: true }]);
    expect((await auth.call('GET', '/train/jobs', { token: workerToken })).status).toBe(403);
    expect(await workersCommand(['token', '--days', '0', '--data', auth.dataDir], {}, () => undefined)).toBe(2);
  });
});

describe('worker routes on a server that runs its trainers itself', () => {
  test('GET /workers is empty; a heartbeat says to start the server with YOLOOPS_REDIS_URL', async () => {
    const own = mkdtempSync(path.join(tmpdir(), 'yoloops-local-'));
    const local = await createNodePlatform({ dataDir: own, jobs: { watchdogMs: 60_000, dispatch: false } });
    const server = await new Promise<Server>((resolve) => {
      const s = createApp({ services: local, rateLimits: false }).listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      expect((await rawRequest(base, 'GET', '/workers')).json).toEqual([]);
      const res = await rawRequest(base, 'POST', '/api/workers/w-1/heartbeat', jsonInit(beat()));
      expect(res.status).toBe(409);
      expect(res.json).toMatchObject({ code: 'not_dispatching', detail: expect.stringContaining('YOLOOPS_REDIS_URL') });
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await local.close();
      rmSync(own, { recursive: true, force: true });
    }
  });
});
