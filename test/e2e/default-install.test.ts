import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createClient, type YoloopsClient } from '@yoloops/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fixturePath, REPO_ROOT, zipDirectory } from '../support/fixtures.js';
import { freePort, killProcessGroupsWith, waitFor } from '../support/server-process.js';

// Issue 9, acceptance: the server started as `npm start` starts it (the built CLI, `yoloops serve`), on a
// port other than 8000, with a `yolo` stand-in on PATH and no `yoloops-agent` anywhere on PATH. Jobs run
// the real agent of this install, which must find the server on the port it really listens on.

const SCRIPTED_TRAINER = path.join(REPO_ROOT, 'packages/core/test/fixtures/scripted-trainer.mjs');
const SERVER_CLI = path.join(REPO_ROOT, 'packages/server-express/dist/cli.js');
const TERMINAL = ['completed', 'failed', 'stopped', 'crashed'];

let root: string;
let server: ChildProcess | undefined;
let output = '';
let client: YoloopsClient;
let datasetId: string;
let failFlag: string;
const marker = () => `YOLOOPS_E2E_DEFAULT_INSTALL=${root}`;

/** PATH of the server: the stand-in's folder, Node's and the system's; none of them may hold a yoloops-agent. */
function serverPath(bin: string): string {
  const dirs = [bin, path.dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'];
  const found = dirs.filter((dir) => existsSync(path.join(dir, 'yoloops-agent')));
  if (found.length > 0) throw new Error(`this test needs no yoloops-agent on PATH, but there is one in ${found.join(', ')}`);
  return [...new Set(dirs)].join(path.delimiter);
}

beforeAll(async () => {
  // What `npm start` runs first (prestart): the build of every package.
  await promisify(execFile)('npm', ['run', 'build', '--', '--output-logs=errors-only'], { cwd: REPO_ROOT, timeout: 240_000 });
  root = mkdtempSync(path.join(tmpdir(), 'yoloops-e2e-default-'));
  const bin = path.join(root, 'bin');
  const yolo = path.join(bin, 'yolo');
  mkdirSync(bin);
  writeFileSync(yolo, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(SCRIPTED_TRAINER)} "$@"\n`);
  chmodSync(yolo, 0o755);
  failFlag = path.join(root, 'fail-before-first-checkpoint');
  const port = await freePort();
  expect(port).not.toBe(8000);
  server = spawn(process.execPath, [SERVER_CLI, 'serve'], {
    cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: serverPath(bin), HOME: root, PORT: String(port), YOLOOPS_DATA_DIR: path.join(root, 'data'),
      // Inherited by agents and trainers: short epochs, quick retries, and a switch for a failure before the first checkpoint.
      SCRIPTED_TRAINER_EPOCH_MS: '150', YOLOOPS_AGENT_RETRY_CAP_MS: '500', SCRIPTED_TRAINER_FAIL_FLAG: failFlag,
      YOLOOPS_E2E_DEFAULT_INSTALL: root,
      YOLOOPS_RATE_LIMITS: 'off', // the test polls every 50 ms, past the default 120 requests a minute
    },
  });
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000));
  server.stdout?.on('data', keep);
  server.stderr?.on('data', keep);
  await waitFor('the server to listen', () => output, (text) => text.includes('yoloops listening on') || server?.exitCode !== null, 60_000);
  expect(output).toContain(`trainer agents report to http://127.0.0.1:${port}`);
  client = createClient({ baseUrl: `http://127.0.0.1:${port}` });
  const { dataset_id } = await client.datasets.upload({ data: await zipDirectory(fixturePath('datasets/coco8')), filename: 'coco8.zip' });
  await client.datasets.prepare(dataset_id);
  datasetId = dataset_id;
}, 300_000);

afterAll(async () => {
  if (server?.pid !== undefined && server.exitCode === null) {
    const exited = new Promise((resolve) => server?.once('exit', resolve));
    process.kill(-server.pid, 'SIGTERM');
    await exited;
  }
  if (root) {
    killProcessGroupsWith(marker());
    rmSync(root, { recursive: true, force: true });
  }
});

async function finished(jobId: string) {
  const job = await waitFor(`job ${jobId} to finish`, () => client.training.get(jobId), (j) => TERMINAL.includes(j.status), 60_000);
  return job;
}
/** The job's model, once the agent has uploaded its weights. */
async function modelOf(jobId: string) {
  const job = await waitFor(`job ${jobId} to get its model`, () => client.training.get(jobId), (j) => j.model_id !== undefined, 30_000);
  return client.models.get(job.model_id!);
}
const logOf = (jobId: string) => readFileSync(path.join(root, 'data/jobs', `${jobId}.log`), 'utf8');

describe('a default install (yoloops serve, yolo on PATH, no yoloops-agent on PATH)', () => {
  let firstModelId: string;

  test('a job completes through this install\'s agent: epochs, a model with best.onnx and best.pt, job_config', async () => {
    const { job_id: jobId } = await client.training.create({ dataset_id: datasetId, epochs: 2, imgsz: 320, batch: 4 });
    const done = await finished(jobId);
    expect(done, logOf(jobId)).toMatchObject({ status: 'completed' });
    expect(done.command[0]).toBe(process.execPath);
    expect(done.command[1]).toBe(path.join(REPO_ROOT, 'packages/trainer-agent/dist/cli.js'));
    expect(done.command).toContain('yolo');
    const model = await modelOf(jobId);
    firstModelId = model.model_id;
    expect(model.weights.map((w) => w.format).sort()).toEqual(['onnx', 'pt']);
    expect(model.imgsz).toBe(320);
    const metrics = model.training_metrics as { training_history: { epochs: number[] }; job_config: Record<string, unknown> };
    expect(metrics.training_history.epochs).toEqual([1, 2]);
    expect(metrics.job_config).toMatchObject({ job_id: jobId, dataset_id: datasetId, epochs: 2, imgsz: 320, batch: 4, model_name: 'yolov8n.pt', base_model_id: null });
  });

  test('a second job fine-tunes from the first one\'s model and completes', async () => {
    const { job_id: jobId } = await client.training.create({ dataset_id: datasetId, epochs: 2, base_model_id: firstModelId });
    const done = await finished(jobId);
    expect(done, logOf(jobId)).toMatchObject({ status: 'completed', model_name: `${firstModelId}_fine_tuned`, base_model_id: firstModelId });
    const start = path.join(root, 'data/jobs', jobId, 'start_base.pt');
    expect(done.command).toContain(`model=${start}`);
    expect(readFileSync(start)).toEqual(readFileSync(path.join(root, 'data/models', firstModelId, 'weights/best.pt')));
    const model = await modelOf(jobId);
    expect(model).toMatchObject({ base_model: `${firstModelId}_fine_tuned`, source: 'trained' });
  });

  test('a job whose trainer fails before its first checkpoint resumes from its base model and completes', async () => {
    writeFileSync(failFlag, '');
    const { job_id: jobId } = await client.training.create({ dataset_id: datasetId, epochs: 2 });
    const failed = await finished(jobId);
    expect(failed).toMatchObject({ status: 'failed' });
    expect(failed.error).toMatch(/CUDA out of memory at epoch 1/);
    rmSync(failFlag);
    expect(await client.training.resume(jobId)).toMatchObject({ ok: true, job_id: jobId, status: 'queued' });
    const done = await finished(jobId);
    expect(done, logOf(jobId)).toMatchObject({ status: 'completed', attempt: 2, resumed_from: 'start', resume_count: 1 });
    expect(done.command).toContain('model=yolov8n.pt');
    expect(done.command).not.toContain('resume');
    expect((await modelOf(jobId)).training_metrics).toMatchObject({ training_history: { epochs: [1, 2] } });
  });

  test('the `yoloops` and `yoloops-agent` that npm links (node_modules/.bin, present since npm ci) run the built CLIs', async () => {
    for (const [name, usage] of [['yoloops', /yoloops serve/], ['yoloops-agent', /yoloops-agent run/]] as const) {
      const bin = path.join(REPO_ROOT, 'node_modules', '.bin', name);
      expect(existsSync(bin), `${bin} is missing: npm links a bin only to a file that exists at install time`).toBe(true);
      const { stdout, stderr } = await promisify(execFile)(bin, ['--help'], { cwd: REPO_ROOT, timeout: 60_000 }).catch((error: { stdout?: string; stderr?: string }) => ({ stdout: error.stdout ?? '', stderr: error.stderr ?? '' }));
      expect(`${stdout}${stderr}`).toMatch(usage);
    }
  });
});
