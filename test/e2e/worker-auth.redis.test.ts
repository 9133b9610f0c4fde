import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createClient, type YoloopsClient } from '@yoloops/client';
import { createMemoryGpuMonitor } from '@yoloops/core/testing';
import { createTrainingWorker, type TrainingWorker } from '@yoloops/trainer-agent';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestRedis, type TestRedis } from '../../packages/core/test/support/redis-server.js';
import { startAuthServer, type AuthServer } from '../../packages/server-express/test/support/auth.js';
import { workersCommand } from '../../packages/server-express/src/workers-cli.js';
import { fixturePath, REPO_ROOT, zipDirectory } from '../support/fixtures.js';
import { waitFor } from '../support/server-process.js';

// Issue 12 with auth required: a worker with a `yoloops workers token` claims and runs a job (its agent
// reports with the job-scoped token of the work order); a worker without a valid token runs nothing and
// leaves the job queued for one that has it.

const SCRIPTED_TRAINER = path.join(REPO_ROOT, 'packages/core/test/fixtures/scripted-trainer.mjs');
const AGENT = [process.execPath, '--conditions=source', '--import', pathToFileURL(createRequire(path.join(REPO_ROOT, 'package.json')).resolve('tsx')).href,
  path.join(REPO_ROOT, 'packages/trainer-agent/src/cli.ts')];
const KEYS = ['data={data}', 'model={model}', 'epochs={epochs}', 'imgsz={imgsz}', 'batch={batch}', 'project={project}', 'name={name}', 'exist_ok=True'];

let redis: TestRedis;
let auth: AuthServer;
let client: YoloopsClient;
let datasetId: string;
const dirs: string[] = [];
const workers: TrainingWorker[] = [];

beforeAll(async () => {
  redis = await startTestRedis();
  auth = await startAuthServer({
    jobs: {
      stopGraceMs: 3000, watchdogMs: 60_000, dispatch: { redisUrl: redis.url, heartbeatMs: 200, timeoutMs: 5000 },
      trainerCommand: { train: [process.execPath, SCRIPTED_TRAINER, 'detect', 'train', ...KEYS], resume: [process.execPath, SCRIPTED_TRAINER, 'detect', 'train', 'resume', 'model={model}'] },
    },
  });
  client = createClient({ baseUrl: auth.url, token: auth.adminToken });
  const { dataset_id } = await client.datasets.upload({ data: await zipDirectory(fixturePath('datasets/coco8')), filename: 'coco8.zip' });
  expect(await client.datasets.prepare(dataset_id)).toMatchObject({ status: 'prepared' });
  datasetId = dataset_id;
  process.env.SCRIPTED_TRAINER_EPOCH_MS = '100';
}, 60_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.close()));
  await client?.close();
  await auth?.close();
  await redis?.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function startWorker(workerId: string, token: string | undefined, log: (line: string) => void = () => undefined): TrainingWorker {
  const workDir = mkdtempSync(path.join(tmpdir(), 'yoloops-auth-worker-'));
  dirs.push(workDir);
  const worker = createTrainingWorker({
    serverUrl: auth.url, redisUrl: redis.url, workerId, workDir, agentCommand: AGENT, retry: { baseMs: 20, capMs: 300 },
    gpus: createMemoryGpuMonitor([]), log, ...(token ? { token } : {}),
  });
  workers.push(worker);
  return worker;
}

describe('workers with auth required', () => {
  test('without a valid token a worker runs nothing and the job stays queued; with a worker token it trains and its agent reports', async () => {
    const lines: string[] = [];
    const intruder = startWorker('no-token', 'not.a.token', (line) => void lines.push(line));
    const { job_id: jobId } = await client.training.create({ dataset_id: datasetId, version: 'v1', epochs: 3, imgsz: 320, batch: 4, model_name: 'yolov8n.pt', base_model_id: null });
    await waitFor('the refused claim', () => lines.join('\n'), (text) => text.includes(`the server refused this worker's token (HTTP 401) for ${jobId}`), 20_000);
    expect((await client.training.get(jobId)).status).toBe('queued');
    await intruder.close();

    const printed: string[] = [];
    expect(await workersCommand(['token', '--days', '1', '--data', auth.dataDir], {}, (line) => void printed.push(line))).toBe(0);
    startWorker('gpu-1', printed[0]);
    // The message was put back (delayed 10 s) for a worker the server lets in.
    const done = await waitFor(`job ${jobId} to finish`, () => client.training.get(jobId), (job) => ['completed', 'failed', 'stopped'].includes(job.status), 60_000);
    expect(done, JSON.stringify(done)).toMatchObject({ status: 'completed', worker_id: 'gpu-1', attempt: 1 });
    // "completed" is the agent's own report (a clean exit without it would read "failed: reports never arrived"): its job token was taken.
    expect(done.error).toBeUndefined();
  }, 90_000);
});
