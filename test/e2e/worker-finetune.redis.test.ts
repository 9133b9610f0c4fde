import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
import YAML from 'yaml';
import { startTestRedis, type TestRedis } from '../../packages/core/test/support/redis-server.js';
import { REPO_ROOT } from '../support/fixtures.js';
import { waitFor } from '../support/server-process.js';

// Issue 12: a language-model fine-tune (seed 003's /api/v1/train) in dispatch mode runs on a remote worker: the
// worker downloads the processed instruction dataset, writes the LLaMA-Factory YAML with its own paths and runs the
// (scripted) trainer under the real agent, which ships its checkpoint-N folders and, on success, its adapter and
// metrics to the server; the server registers the adapter. A stop saves a checkpoint that a resume continues from.

const SCRIPTED_LF = path.join(REPO_ROOT, 'packages/core/test/fixtures/scripted-llamafactory.mjs');
const AGENT = [process.execPath, '--conditions=source', '--import', pathToFileURL(createRequire(path.join(REPO_ROOT, 'package.json')).resolve('tsx')).href,
  path.join(REPO_ROOT, 'packages/trainer-agent/src/cli.ts')];
const WORKER_CHILD = path.join(REPO_ROOT, 'packages/trainer-agent/test/support/worker-child.ts');
const TERMINAL = ['completed', 'failed', 'stopped', 'crashed'];

let redis: TestRedis;
let dataDir: string;
let workDir: string;
let http: Server;
let url: string;
let platform: NodePlatform;
let client: YoloopsClient;
let worker: TrainingWorker;
let datasetPath: string;
const workerLog: string[] = [];

beforeAll(async () => {
  redis = await startTestRedis();
  dataDir = mkdtempSync(path.join(tmpdir(), 'yoloops-e2e-ft-dispatch-'));
  workDir = mkdtempSync(path.join(tmpdir(), 'yoloops-e2e-ft-worker-'));
  const catalog = path.join(dataDir, '..', `${path.basename(dataDir)}-base-models.yaml`);
  writeFileSync(catalog, 'models:\n  - id: tiny-llama\n    model_name_or_path: test/tiny-llama\n    template: llama3\n    default: true\n');
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  http = createServer((req, res) => (handler ? handler(req, res) : res.writeHead(503).end()));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  platform = await createNodePlatform({
    dataDir,
    jobs: {
      serverUrl: url, stopGraceMs: 3000, watchdogMs: 60_000, baseModelsFile: catalog, interruptGraceMs: 5000,
      finetuneCommand: { train: [process.execPath, SCRIPTED_LF, 'train', '{config}'], resume: [process.execPath, SCRIPTED_LF, 'train', '{config}'] },
      dispatch: { redisUrl: redis.url, heartbeatMs: 200, timeoutMs: 5000 },
    },
  });
  handler = createApp({ services: platform, rateLimits: false });
  client = createClient({ baseUrl: url });
  const rows = Array.from({ length: 40 }, (_, i) => ({ instruction: `summarise report ${i}`, input: i % 2 ? `quarter ${i}` : '', output: `report ${i} is flat` }));
  const uploaded = await client.catalog.datasets.uploadInstructions({ data: Buffer.from(JSON.stringify(rows)), filename: 'reports.json' }, { name: 'reports' });
  const processed = await client.catalog.datasets.process({ dataset_id: uploaded.id, output_name: 'reports' });
  if (processed.status !== 'completed') throw new Error(`processing did not finish: ${JSON.stringify(processed)}`);
  datasetPath = processed.output_path;
  // The trainer runs with the worker's environment: 60 ms steps.
  process.env.SCRIPTED_LF_STEP_MS = '60';
  worker = createTrainingWorker({
    serverUrl: url, redisUrl: redis.url, workerId: 'gpu-ft', workDir, agentCommand: AGENT, interruptGraceMs: 5000,
    retry: { baseMs: 20, capMs: 300 }, gpus: createMemoryGpuMonitor([]), log: (line) => void workerLog.push(line),
  });
}, 90_000);

afterAll(async () => {
  await worker?.close();
  await client?.close();
  http?.closeAllConnections();
  if (http) await new Promise<void>((resolve) => http.close(() => resolve()));
  await platform?.close();
  await redis?.close();
  for (const dir of [dataDir, workDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  if (dataDir) rmSync(path.join(dataDir, '..', `${path.basename(dataDir)}-base-models.yaml`), { force: true });
});

const getJob = (jobId: string) => client.training.get(jobId);
const finished = (jobId: string, attempt = 1) => waitFor(`${jobId} attempt ${attempt} to finish`, () => getJob(jobId), (job) => job.attempt === attempt && TERMINAL.includes(job.status), 90_000);
/** The YAML the worker wrote for an attempt (in its own run folder). */
const workerConfig = (jobId: string, attempt: number) =>
  YAML.parse(readFileSync(path.join(workDir, 'jobs', jobId, `a${attempt}`, 'train', 'yoloops-train.yaml'), 'utf8')) as Record<string, unknown>;
/** A LoRA fine-tune (the core API: seed 003's body has no save_steps) that saves a checkpoint every 10 steps. */
const start = async (epochs: number) => {
  const job = await platform.jobs.createFinetune({
    dataset_dir: path.relative(dataDir, datasetPath).split(path.sep).join('/'), per_device_train_batch_size: 1, num_train_epochs: epochs,
    save_steps: 10, logging_steps: 5, lora_rank: 4, lora_alpha: 8,
  });
  return job.job_id;
};

describe('fine-tunes on a remote worker', () => {
  test('runs on the worker from the downloaded dataset; checkpoints and the adapter reach the server, which registers the model', async () => {
    const jobId = await start(1);
    const done = await finished(jobId);
    expect(done, JSON.stringify(done)).toMatchObject({ status: 'completed', attempt: 1, worker_id: 'gpu-ft', kind: 'llm-finetune' });
    // The worker's YAML: the server's training arguments with the worker's own folders.
    const config = workerConfig(jobId, 1);
    expect(config).toMatchObject({ stage: 'sft', model_name_or_path: 'test/tiny-llama', lora_rank: 4, lora_alpha: 8, save_steps: 10 });
    expect(String(config.dataset_dir).startsWith(workDir)).toBe(true);
    expect(String(config.output_dir)).toBe(path.join(workDir, 'jobs', jobId, 'a1', 'train'));
    expect(readdirSync(String(config.dataset_dir))).toEqual(expect.arrayContaining(['dataset_info.json']));
    // What the run left reached the server's run folder: the adapter, its metrics, the newest checkpoint only.
    const serverRun = done.run_dir;
    expect(readdirSync(serverRun)).toEqual(expect.arrayContaining(['adapter_model.safetensors', 'adapter_config.json', 'all_results.json', 'trainer_state.json']));
    const checkpoints = readdirSync(serverRun).filter((name) => name.startsWith('checkpoint-'));
    expect(checkpoints).toHaveLength(1);
    expect(readdirSync(path.join(serverRun, checkpoints[0] ?? ''))).toEqual(expect.arrayContaining(['trainer_state.json', 'adapter_model.safetensors']));
    expect(done.outputs?.adapter?.files.map((f) => path.basename(f.path)).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    expect(done.outputs?.adapter?.dir).toBe(serverRun);
    const withModel = await waitFor('the adapter registered', () => getJob(jobId), (job) => Boolean(job.model_id), 20_000);
    expect(withModel.model_id).toBeTruthy();
  }, 120_000);

  test('stop reaches the worker (SIGINT: the trainer saves a checkpoint, the agent ships it); resume continues from it on the worker and completes', async () => {
    const jobId = await start(4);
    await waitFor('a checkpoint on the server', () => getJob(jobId), (job) => job.status === 'running' && existsSync(job.run_dir) && readdirSync(job.run_dir).some((n) => n.startsWith('checkpoint-')), 60_000);
    expect(await client.training.stop(jobId)).toMatchObject({ job_id: jobId, status: 'stopped' });
    await waitFor('the worker to let it go', () => worker.jobs(), (jobs) => jobs.length === 0, 30_000);
    const stopped = await getJob(jobId);
    expect(stopped.status).toBe('stopped');
    const workerRun = path.join(workDir, 'jobs', jobId, 'a1', 'train');
    expect(readFileSync(path.join(workerRun, 'signals-seen.txt'), 'utf8').split('\n')[0]).toBe('SIGINT');
    // The checkpoint the stop saved is the newest, and it is what the server holds.
    const newestOnWorker = readdirSync(workerRun).filter((n) => n.startsWith('checkpoint-')).sort((a, b) => Number(b.split('-')[1]) - Number(a.split('-')[1]))[0];
    await waitFor('the stop\'s checkpoint on the server', () => readdirSync(stopped.run_dir).filter((n) => n.startsWith('checkpoint-')), (names) => names.includes(newestOnWorker ?? '?'), 20_000);

    expect(await client.training.resume(jobId)).toMatchObject({ job_id: jobId, status: 'queued' });
    const done = await finished(jobId, 2);
    expect(done, JSON.stringify(done)).toMatchObject({ status: 'completed', attempt: 2, resume_count: 1 });
    expect(done.resumed_from).toBe(path.join(stopped.run_dir, newestOnWorker ?? '?'));
    // Attempt 2 continued from the downloaded checkpoint, unpacked in its own run folder.
    const config = workerConfig(jobId, 2);
    expect(config.resume_from_checkpoint).toBe(path.join(workDir, 'jobs', jobId, 'a2', 'train', newestOnWorker ?? '?'));
    const resumedAt = Number(newestOnWorker?.split('-')[1]);
    const log = readFileSync(path.join(workDir, 'jobs', jobId, 'a2', 'train', 'trainer_log.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { current_steps: number });
    expect(log[0]?.current_steps).toBeGreaterThan(resumedAt);
    await waitFor('the adapter registered', () => getJob(jobId), (job) => Boolean(job.model_id), 20_000);
  }, 150_000);

  test('worker A killed with SIGKILL mid-run: worker B takes a new attempt that resumes from the last checkpoint A shipped, and completes', async () => {
    await worker.close(); // A and B only, from here
    const aDir = mkdtempSync(path.join(tmpdir(), 'yoloops-e2e-ft-a-'));
    const bDir = mkdtempSync(path.join(tmpdir(), 'yoloops-e2e-ft-b-'));
    const common = { serverUrl: url, redisUrl: redis.url, agentCommand: AGENT, retry: { baseMs: 20, capMs: 300 }, lockDurationMs: 8000, stalledIntervalMs: 1000, interruptGraceMs: 5000 };
    // A's agent ships a checkpoint at most every 300 ms, so one reaches the server before A dies.
    const a = spawn(AGENT[0] as string, [...AGENT.slice(1, 4), WORKER_CHILD], {
      env: { ...process.env, YOLOOPS_AGENT_CHECKPOINT_INTERVAL_MS: '300', WORKER_OPTIONS: JSON.stringify({ ...common, workerId: 'ft-a', workDir: aDir }) }, stdio: 'ignore',
    });
    const aExited = new Promise((resolve) => a.once('exit', resolve));
    let b: TrainingWorker | undefined;
    try {
      const jobId = await start(6);
      const onA = await waitFor('A training', () => getJob(jobId), (job) => job.worker_id === 'ft-a' && job.status === 'running', 40_000);
      const shipped = () => readdirSync(onA.run_dir).filter((n) => n.startsWith('checkpoint-'));
      await waitFor('a checkpoint from A on the server', () => (existsSync(onA.run_dir) ? shipped() : []), (names) => names.length > 0, 60_000);
      a.kill('SIGKILL');
      await aExited;
      const aLog = path.join(aDir, 'jobs', jobId, 'a1.log');
      await waitFor('A\'s trainer stopped', () => readFileSync(aLog, 'utf8'), (text) => text.includes('the worker that started this run is gone'), 10_000);
      const [last] = shipped();
      b = createTrainingWorker({ ...common, workerId: 'ft-b', workDir: bDir, gpus: createMemoryGpuMonitor([]), log: () => undefined });
      const onB = await waitFor('attempt 2 on B', () => getJob(jobId), (job) => job.attempt >= 2 && job.worker_id === 'ft-b', 60_000);
      expect(onB.resumed_from).toBe(path.join(onA.run_dir, last ?? '?'));
      const done = await finished(jobId, onB.attempt);
      expect(done, JSON.stringify(done)).toMatchObject({ status: 'completed', worker_id: 'ft-b' });
      const steps = readFileSync(path.join(bDir, 'jobs', jobId, `a${onB.attempt}`, 'train', 'trainer_log.jsonl'), 'utf8').trim().split('\n').map((line) => (JSON.parse(line) as { current_steps: number }).current_steps);
      expect(steps[0]).toBeGreaterThan(Number(last?.split('-')[1]));
      await waitFor('the adapter registered', () => getJob(jobId), (job) => Boolean(job.model_id), 20_000);
    } finally {
      if (a.exitCode === null && a.signalCode === null) a.kill('SIGKILL');
      await b?.close();
      for (const dir of [aDir, bDir]) rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
