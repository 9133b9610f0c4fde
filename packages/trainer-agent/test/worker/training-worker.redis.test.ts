import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createMemoryGpuMonitor } from '@yoloops/core/testing';
import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { startTestRedis, type TestRedis } from '../../../core/test/support/redis-server.js';
import { createTrainingWorker, type TrainingWorker, type TrainingWorkerOptions } from '../../src/worker/create-training-worker.js';
import { CLI, PACKAGE_DIR, spawnNode, type Child } from '../support/child.js';
import { startFakeWorkerServer, type FakeWorkerServer } from '../support/fake-worker-server.js';
import { waitFor } from '../support/wait-for.js';
import { datasetZip, processLives, SOURCE_AGENT, workerTestDir, workOrder } from '../support/worker-kit.js';

let redis: TestRedis;
let server: FakeWorkerServer;
let dir: { root: string; trainer: string };
const queues: Queue[] = [];
const workers: TrainingWorker[] = [];
const children: Child[] = [];
const pidFiles: string[] = [];

function options(over: Partial<TrainingWorkerOptions> = {}): TrainingWorkerOptions {
  return {
    serverUrl: server.url, redisUrl: redis.url, workerId: 'w1', workDir: path.join(dir.root, 'w1'), agentCommand: SOURCE_AGENT, agentFlags: [],
    retry: { baseMs: 10, capMs: 100 }, log: process.env.DEBUG_WORKER ? (line) => console.error(line) : () => undefined, ...over,
  };
}
function start(over: Partial<TrainingWorkerOptions> = {}): TrainingWorker {
  const worker = createTrainingWorker({ ...options(over), gpus: createMemoryGpuMonitor() });
  workers.push(worker);
  return worker;
}
function queue(name: string): Queue {
  const q = new Queue(name, { connection: { url: redis.url } });
  queues.push(q);
  return q;
}
const runDir = (worker: string, job: string, attempt: number) => path.join(dir.root, worker, 'jobs', job, `a${attempt}`, 'train');
const claims = () => server.requests.filter((r) => r.path.endsWith('/claims'));
const heartbeats = () => server.requests.filter((r) => r.path.endsWith('/heartbeat'));
const state = async (q: Queue, id: string) => (await q.getJob(id))?.getState();

beforeEach(async () => {
  redis = await startTestRedis();
  server = await startFakeWorkerServer();
  dir = workerTestDir();
  server.files.set('/api/workers/jobs/job_1/dataset', await datasetZip());
  server.files.set('/api/workers/jobs/job_2/dataset', await datasetZip());
});
afterEach(async () => {
  for (const child of children.splice(0)) if (child.process.exitCode === null) child.process.kill('SIGKILL');
  await Promise.all(workers.splice(0).map((w) => w.close()));
  for (const file of pidFiles.splice(0)) if (existsSync(file)) killQuietly(Number(readFileSync(file, 'utf8')));
  await Promise.all(queues.splice(0).map((q) => q.close()));
  await server.stop();
  await redis.close();
});

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone
  }
}

describe('training worker on BullMQ', () => {
  test('takes a message from its queue, claims, runs, posts the exit, then completes the message; heartbeats carry labels and jobs', async () => {
    const worker = start({ labels: { gpu: 'a100' } });
    expect(worker.queues).toEqual(['train', 'train.gpu=a100']);
    server.claims.push({ status: 200, order: workOrder(dir.trainer, { job_id: 'job_1', attempt: 1 }) });
    const q = queue('train.gpu=a100');
    await q.add('dispatch', { job_id: 'job_1', attempt: 1 }, { jobId: 'job_1.1' });
    await waitFor('the exit', () => server.exits().length === 1, 30_000);
    await waitFor('the message completed', async () => (await state(q, 'job_1.1')) === 'completed');
    expect(server.exits()[0]?.body).toMatchObject({ attempt: 1, code: 0, signal: null });
    expect(claims().map((r) => r.body)).toEqual([{ job_id: 'job_1', attempt: 1 }]);
    const beat = heartbeats().find((r) => (r.body as { jobs: unknown[] }).jobs.length > 0)?.body;
    expect(beat).toMatchObject({ labels: { gpu: 'a100' }, concurrency: 1, jobs: [{ job_id: 'job_1', attempt: 1 }], gpus: [] });
  });

  test('concurrency is shared across queues: a second message waits until a cancel ends the first', async () => {
    start({ labels: { gpu: 'a100' }, stopGraceMs: 3000 });
    server.claims.push({ status: 200, order: workOrder(dir.trainer, { job_id: 'job_1', extra: ['hang=1'] }) });
    const base = queue('train');
    const labelled = queue('train.gpu=a100');
    await base.add('dispatch', { job_id: 'job_1', attempt: 1 }, { jobId: 'job_1.1' });
    pidFiles.push(path.join(runDir('w1', 'job_1', 1), 'trainer.pid'));
    await waitFor('the first trainer waiting', () => existsSync(pidFiles[0] ?? ''), 30_000);
    server.claims.push({ status: 200, order: workOrder(dir.trainer, { job_id: 'job_2' }) });
    await labelled.add('dispatch', { job_id: 'job_2', attempt: 1 }, { jobId: 'job_2.1' });
    const seen = heartbeats().length;
    await waitFor('three more heartbeats', () => heartbeats().length >= seen + 3);
    expect(claims()).toHaveLength(1);
    expect(await state(labelled, 'job_2.1')).toBe('waiting');
    server.cancels.push({ job_id: 'job_1', attempt: 1, reason: 'stopped' });
    await waitFor('both exits', () => server.exits().length === 2, 30_000);
    expect(server.exits().map((e) => [e.path, e.body.code])).toEqual([['/api/workers/w1/jobs/job_1/exit', 7], ['/api/workers/w1/jobs/job_2/exit', 0]]);
    await waitFor('both messages completed', async () => (await state(base, 'job_1.1')) === 'completed' && (await state(labelled, 'job_2.1')) === 'completed');
  });

  test('close() kills the running trainer, posts no exit and hands the message back delayed past the server\'s worker timeout', async () => {
    server.timeoutMs = 60_000;
    const worker = start();
    server.claims.push({ status: 200, order: workOrder(dir.trainer, { job_id: 'job_1', extra: ['hang=1'] }) });
    const q = queue('train');
    await q.add('dispatch', { job_id: 'job_1', attempt: 1 }, { jobId: 'job_1.1' });
    const pidFile = path.join(runDir('w1', 'job_1', 1), 'trainer.pid');
    pidFiles.push(pidFile);
    await waitFor('the trainer waiting', () => existsSync(pidFile), 30_000);
    await waitFor('a heartbeat answer with the timeout', () => heartbeats().length >= 2);
    await worker.close();
    expect(processLives(Number(readFileSync(pidFile, 'utf8')))).toBe(false);
    expect(server.exits()).toEqual([]);
    expect(await state(q, 'job_1.1')).toBe('delayed');
    const delay = (await q.getJob('job_1.1'))?.delay ?? 0;
    expect(delay).toBeGreaterThanOrEqual(60_000);
  });

  test('a worker killed with SIGKILL: its trainer stops by itself, its message stalls back to the queue and a worker claims it again', async () => {
    const childOptions = options({ workerId: 'wA', workDir: path.join(dir.root, 'wA'), lockDurationMs: 1000, stalledIntervalMs: 500 });
    const workerA = spawnNode(path.join(PACKAGE_DIR, 'test', 'support', 'worker-child.ts'), [], { env: { WORKER_OPTIONS: JSON.stringify({ ...childOptions, log: undefined }) } });
    children.push(workerA);
    server.claims.push({ status: 200, order: workOrder(dir.trainer, { job_id: 'job_1', extra: ['hang=1'] }) });
    const q = queue('train');
    await q.add('dispatch', { job_id: 'job_1', attempt: 1 }, { jobId: 'job_1.1' });
    const pidA = path.join(runDir('wA', 'job_1', 1), 'trainer.pid');
    pidFiles.push(pidA);
    await waitFor('worker A running the trainer', () => existsSync(pidA), 30_000);
    workerA.process.kill('SIGKILL');
    await workerA.exited;
    // Its agent sees the worker gone and kills its group: the job is not trained here while another worker takes it.
    await waitFor('A\'s trainer gone', () => !processLives(Number(readFileSync(pidA, 'utf8'))));
    server.claims.push({ status: 200, order: workOrder(dir.trainer, { job_id: 'job_1', attempt: 2 }) });
    // A restarted on its folder, and B: either may get the re-delivered message.
    start({ workerId: 'wA', workDir: path.join(dir.root, 'wA'), lockDurationMs: 1000, stalledIntervalMs: 500 });
    start({ workerId: 'wB', workDir: path.join(dir.root, 'wB'), lockDurationMs: 1000, stalledIntervalMs: 500 });
    await waitFor('the exit of attempt 2', () => server.exits().length === 1, 40_000);
    expect(server.exits()[0]?.body).toMatchObject({ attempt: 2, code: 0 });
    expect(claims().map((r) => r.body)).toEqual([{ job_id: 'job_1', attempt: 1 }, { job_id: 'job_1', attempt: 1 }]);
    expect(claims()[0]?.path).toBe('/api/workers/wA/claims');
    await waitFor('the message completed', async () => (await state(q, 'job_1.1')) === 'completed');
  });

  test('a second worker on a folder in use is refused', () => {
    start({ workDir: path.join(dir.root, 'shared') });
    expect(() => start({ workerId: 'w2', workDir: path.join(dir.root, 'shared') })).toThrow(/work dir .*shared is used by another worker/);
  });

  test('Redis restarted mid-run (persisted): the training goes on, the worker reconnects, the exit is posted and the message completed', async () => {
    await redis.close();
    redis = await startTestRedis({ persist: true });
    const lines: string[] = [];
    start({ stopGraceMs: 3000, log: (line) => void lines.push(line) });
    server.claims.push({ status: 200, order: workOrder(dir.trainer, { job_id: 'job_1', extra: ['hang=1'] }) });
    const q = queue('train');
    await q.add('dispatch', { job_id: 'job_1', attempt: 1 }, { jobId: 'job_1.1' });
    const pidFile = path.join(runDir('w1', 'job_1', 1), 'trainer.pid');
    pidFiles.push(pidFile);
    await waitFor('the trainer waiting', () => existsSync(pidFile), 30_000);
    await redis.stop();
    await waitFor('the worker noticing', () => lines.some((line) => /queue train: .*\(retrying\)/.test(line)), 30_000);
    await redis.start();
    expect(processLives(Number(readFileSync(pidFile, 'utf8')))).toBe(true);
    server.cancels.push({ job_id: 'job_1', attempt: 1, reason: 'stopped' });
    await waitFor('the exit', () => server.exits().length === 1, 30_000);
    await waitFor('the message completed', async () => (await state(q, 'job_1.1')) === 'completed', 30_000);
  });

  test('Redis restarted empty mid-run: the run still ends with its exit, and the worker takes new messages afterwards', async () => {
    const lines: string[] = [];
    start({ stopGraceMs: 3000, log: (line) => void lines.push(line) });
    server.claims.push({ status: 200, order: workOrder(dir.trainer, { job_id: 'job_1', extra: ['hang=1'] }) });
    const q = queue('train');
    await q.add('dispatch', { job_id: 'job_1', attempt: 1 }, { jobId: 'job_1.1' });
    const pidFile = path.join(runDir('w1', 'job_1', 1), 'trainer.pid');
    pidFiles.push(pidFile);
    await waitFor('the trainer waiting', () => existsSync(pidFile), 30_000);
    await redis.restart();
    server.cancels.push({ job_id: 'job_1', attempt: 1, reason: 'stopped' });
    await waitFor('the exit', () => server.exits().length === 1, 30_000);
    // The message is gone with Redis' data (the servers' watchdog re-dispatches queued jobs); the next one is taken.
    server.claims.push({ status: 200, order: workOrder(dir.trainer, { job_id: 'job_2' }) });
    await q.add('dispatch', { job_id: 'job_2', attempt: 1 }, { jobId: 'job_2.1' });
    await waitFor('the second exit', () => server.exits().length === 2, 30_000);
    expect(server.exits().map((e) => [e.path, e.body.code])).toEqual([['/api/workers/w1/jobs/job_1/exit', 7], ['/api/workers/w1/jobs/job_2/exit', 0]]);
  });

  test('yoloops-agent worker: heartbeats as the given id with its labels; SIGTERM closes it and it exits 0', async () => {
    const args = ['worker', '--server', server.url, '--redis', redis.url, '--id', 'cli-w', '--labels', 'gpu=a100', '--work-dir', path.join(dir.root, 'cli'), '--agent-command', JSON.stringify(SOURCE_AGENT)];
    const cli = spawnNode(CLI, args);
    children.push(cli);
    await waitFor('a heartbeat of cli-w', () => heartbeats().some((r) => r.path === '/api/workers/cli-w/heartbeat'), 30_000);
    expect(heartbeats()[0]?.body).toMatchObject({ labels: { gpu: 'a100' }, concurrency: 1, jobs: [], version: '0.1.0' });
    expect(cli.stderr()).toContain('yoloops worker cli-w: consuming train, train.gpu=a100 (concurrency 1)');
    cli.process.kill('SIGTERM');
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    expect(cli.stderr()).toContain('SIGTERM: stopping');
  });
});
