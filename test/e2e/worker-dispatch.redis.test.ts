import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createClient, type YoloopsClient } from '@yoloops/client';
import { createNodePlatform, type NodePlatform } from '@yoloops/core/node';
import { createMemoryGpuMonitor } from '@yoloops/core/testing';
import { createApp } from '@yoloops/server-express';
import { createTrainingWorker, type TrainingWorker } from '@yoloops/trainer-agent';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestRedis, type TestRedis } from '../../packages/core/test/support/redis-server.js';
import { fixturePath, REPO_ROOT, zipDirectory } from '../support/fixtures.js';
import { waitFor } from '../support/server-process.js';

// Issue 12: the server in dispatch mode (BullMQ on a real redis-server) and a `yoloops worker` (in this
// process) running the scripted trainer under the REAL agent: claim, dataset download, reports, stop, resume.

const SCRIPTED_TRAINER = path.join(REPO_ROOT, 'packages/core/test/fixtures/scripted-trainer.mjs');
const AGENT = [process.execPath, '--conditions=source', '--import', pathToFileURL(createRequire(path.join(REPO_ROOT, 'package.json')).resolve('tsx')).href,
  path.join(REPO_ROOT, 'packages/trainer-agent/src/cli.ts')];
const WORKER_CHILD = path.join(REPO_ROOT, 'packages/trainer-agent/test/support/worker-child.ts');
const KEYS = ['data={data}', 'model={model}', 'epochs={epochs}', 'imgsz={imgsz}', 'batch={batch}', 'project={project}', 'name={name}', 'exist_ok=True'];
const TERMINAL = ['completed', 'failed', 'stopped', 'crashed'];
const GPU = { index: 0, name: 'NVIDIA A100-SXM4-80GB', uuid: 'GPU-1', memory_total_mb: 81920, memory_used_mb: 1024, utilization_percent: 37, temperature_c: 41, power_draw_watts: 90, power_limit_watts: 400 };

let redis: TestRedis;
let dataDir: string;
let workDir: string;
let http: Server;
let url: string;
let platform: NodePlatform;
let client: YoloopsClient;
let worker: TrainingWorker;
let datasetId: string;
const workerLog: string[] = [];

beforeAll(async () => {
  redis = await startTestRedis();
  dataDir = mkdtempSync(path.join(tmpdir(), 'yoloops-e2e-dispatch-'));
  workDir = mkdtempSync(path.join(tmpdir(), 'yoloops-e2e-worker-'));
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  http = createServer((req, res) => (handler ? handler(req, res) : res.writeHead(503).end()));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  platform = await createNodePlatform({
    dataDir,
    jobs: {
      serverUrl: url, stopGraceMs: 3000, watchdogMs: 60_000,
      trainerCommand: {
        train: [process.execPath, SCRIPTED_TRAINER, 'detect', 'train', ...KEYS],
        resume: [process.execPath, SCRIPTED_TRAINER, 'detect', 'train', 'resume', 'model={model}'],
      },
      dispatch: { redisUrl: redis.url, heartbeatMs: 200, timeoutMs: 5000 },
    },
  });
  handler = createApp({ services: platform, rateLimits: false });
  client = createClient({ baseUrl: url });
  const { dataset_id } = await client.datasets.upload({ data: await zipDirectory(fixturePath('datasets/coco8')), filename: 'coco8.zip' });
  expect(await client.datasets.prepare(dataset_id)).toMatchObject({ status: 'prepared' });
  datasetId = dataset_id;
  // The trainer runs with the worker's environment.
  process.env.SCRIPTED_TRAINER_EPOCH_MS = '150';
  worker = createTrainingWorker({
    serverUrl: url, redisUrl: redis.url, workerId: 'gpu-1', labels: { gpu: 'a100' }, workDir, agentCommand: AGENT,
    retry: { baseMs: 20, capMs: 300 }, gpus: createMemoryGpuMonitor([GPU]), log: (line) => void workerLog.push(line),
  });
}, 60_000);

afterAll(async () => {
  await worker?.close();
  await client?.close();
  http?.closeAllConnections();
  if (http) await new Promise<void>((resolve) => http.close(() => resolve()));
  platform?.close();
  await redis?.close();
  for (const dir of [dataDir, workDir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

const getJob = (jobId: string) => client.training.get(jobId);
const workers = async () => (await (await fetch(`${url}/workers`)).json()) as { worker_id: string; alive: boolean; current_job: string | null; labels: Record<string, string>; gpus: { name: string }[] }[];
const create = (epochs: number, extra: Record<string, unknown> = {}) =>
  client.training.create({ dataset_id: datasetId, version: 'v1', epochs, imgsz: 320, batch: 4, model_name: 'yolov8n.pt', base_model_id: null, ...extra } as never);

describe('dispatch to a remote worker', () => {
  test('a job runs on the worker: claimed, trained from the downloaded dataset, every epoch stored once, completed with its model; GET /workers shows the worker', async () => {
    const { job_id: jobId } = await create(3, { worker_labels: { gpu: 'a100' } });
    const running = await waitFor('the worker running it', workers, (list) => list.some((w) => w.current_job === jobId), 30_000);
    expect(running.find((w) => w.worker_id === 'gpu-1')).toMatchObject({ alive: true, labels: { gpu: 'a100' }, gpus: [{ name: 'NVIDIA A100-SXM4-80GB' }] });
    const done = await waitFor(`job ${jobId} to finish`, () => getJob(jobId), (job) => TERMINAL.includes(job.status), 40_000);
    expect(done, JSON.stringify(done)).toMatchObject({ status: 'completed', attempt: 1 });
    const epochs = await platform.jobMetrics.listEpochs(jobId);
    expect(epochs.map((r) => [r.epoch, r.attempt])).toEqual([[1, 1], [2, 1], [3, 1]]);
    await waitFor('the model registered', () => getJob(jobId), (job) => Boolean(job.model_id), 20_000);
    // The trainer read the dataset the worker downloaded, not the server's files.
    const log = readFileSync(path.join(workDir, 'jobs', jobId, 'a1.log'), 'utf8');
    const [extracted] = readdirSync(path.join(workDir, 'datasets', datasetId, 'v1'));
    const local = path.join(workDir, 'datasets', datasetId, 'v1', extracted ?? '');
    expect(log).toContain(`data=${path.join(local, 'data.yaml')}`);
    expect(readdirSync(local)).toEqual(expect.arrayContaining(['data.yaml', 'images', 'labels']));
  }, 90_000);

  test('stop reaches the worker; resume runs attempt 2 on it from the checkpoint and completes; re-run epochs replace the old', async () => {
    const { job_id: jobId } = await create(12);
    await waitFor('2 epochs reported', () => platform.jobMetrics.listEpochs(jobId), (rows) => rows.length >= 2, 40_000);
    expect(await client.training.stop(jobId)).toMatchObject({ job_id: jobId, status: 'stopped' });
    await waitFor('the worker to let it go', () => worker.jobs(), (jobs) => jobs.length === 0, 20_000);
    expect(workerLog.join('\n')).toContain(`stopping ${jobId} attempt 1 (stopped)`);
    const stopped = await getJob(jobId);
    expect(stopped.status).toBe('stopped');
    const reached = (await platform.jobMetrics.listEpochs(jobId)).length;
    expect(reached).toBeLessThan(12);

    expect(await client.training.resume(jobId)).toMatchObject({ job_id: jobId, status: 'queued' });
    const done = await waitFor(`job ${jobId} to finish again`, () => getJob(jobId), (job) => job.attempt === 2 && TERMINAL.includes(job.status), 60_000);
    expect(done, JSON.stringify(done)).toMatchObject({ status: 'completed', attempt: 2, resume_count: 1 });
    const rows = await platform.jobMetrics.listEpochs(jobId);
    expect(rows.map((r) => r.epoch)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    // Resumed, not restarted: attempt 1's epochs up to its checkpoint stay, the rest are attempt 2's.
    expect(done.resumed_from).toBe(path.join(stopped.run_dir, 'weights', 'last.pt'));
    const firstOfTwo = rows.findIndex((r) => r.attempt === 2);
    expect(firstOfTwo).toBeGreaterThan(0);
    expect(rows.slice(0, firstOfTwo).every((r) => r.attempt === 1) && rows.slice(firstOfTwo).every((r) => r.attempt === 2)).toBe(true);
  }, 120_000);

  test('worker A killed with SIGKILL mid-run: its trainer stops, worker B claims a new attempt and completes it; every epoch stored once, from B', async () => {
    const aDir = mkdtempSync(path.join(tmpdir(), 'yoloops-e2e-worker-a-'));
    const bDir = mkdtempSync(path.join(tmpdir(), 'yoloops-e2e-worker-b-'));
    const common = { serverUrl: url, redisUrl: redis.url, labels: { gpu: 'h100' }, agentCommand: AGENT, retry: { baseMs: 20, capMs: 300 }, lockDurationMs: 8000, stalledIntervalMs: 1000 };
    const a = spawn(AGENT[0] as string, [...AGENT.slice(1, 4), WORKER_CHILD], {
      env: { ...process.env, WORKER_OPTIONS: JSON.stringify({ ...common, workerId: 'gpu-a', workDir: aDir }) }, stdio: 'ignore',
    });
    const aExited = new Promise((resolve) => a.once('exit', resolve));
    let b: TrainingWorker | undefined;
    try {
      const { job_id: jobId } = await create(30, { worker_labels: { gpu: 'h100' } });
      await waitFor('A training', () => getJob(jobId), (job) => job.worker_id === 'gpu-a', 40_000);
      await waitFor('3 epochs from A', () => platform.jobMetrics.listEpochs(jobId), (rows) => rows.length >= 3, 20_000);
      a.kill('SIGKILL');
      await aExited;
      // A's agent notices its worker is gone and kills its trainer: the job is never trained twice at once.
      const aLog = path.join(aDir, 'jobs', jobId, 'a1.log');
      await waitFor('A\'s trainer stopped', () => readFileSync(aLog, 'utf8'), (text) => text.includes('the worker that started this run is gone'), 10_000);
      b = createTrainingWorker({ ...common, workerId: 'gpu-b', workDir: bDir, gpus: createMemoryGpuMonitor([]), log: () => undefined });
      const onB = await waitFor('attempt 2 on B', () => getJob(jobId), (job) => job.attempt >= 2 && job.worker_id === 'gpu-b', 60_000);
      // The agent uploads last.pt at most every 30 s: this short run has none on the server yet, so B starts again.
      expect(onB.resumed_from).toBe('start');
      const done = await waitFor(`job ${jobId} to finish`, () => getJob(jobId), (job) => TERMINAL.includes(job.status), 60_000);
      expect(done, JSON.stringify(done)).toMatchObject({ status: 'completed', worker_id: 'gpu-b', attempt: onB.attempt });
      const rows = await platform.jobMetrics.listEpochs(jobId);
      expect(rows.map((r) => r.epoch)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      // Every epoch once, each from B's attempt: A's reports (before and after its death) count for nothing now.
      expect(rows.map((r) => r.attempt)).toEqual(rows.map(() => onB.attempt));
    } finally {
      if (a.exitCode === null && a.signalCode === null) a.kill('SIGKILL');
      await b?.close();
      for (const dir of [aDir, bDir]) rmSync(dir, { recursive: true, force: true });
    }
  }, 150_000);
});
