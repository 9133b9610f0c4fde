import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createClient, type YoloopsClient } from '@yoloops/client';
import type { Job } from '@yoloops/core';
import { createNodePlatform, type NodePlatform } from '@yoloops/core/node';
import { createApp } from '@yoloops/server-express';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPO_ROOT } from '../support/fixtures.js';
import { waitFor } from '../support/server-process.js';

// Issue 11 §3: fine-tune jobs run a scripted `llamafactory-cli train {config}` under the REAL trainer-agent CLI, which
// follows trainer_log.jsonl and posts step batches (with progress) to POST /api/agent/tasks/{id}/steps.

const SCRIPTED_LF = path.join(REPO_ROOT, 'packages/core/test/fixtures/scripted-llamafactory.mjs');
const AGENT_CLI = path.join(REPO_ROOT, 'packages/trainer-agent/src/cli.ts');
const TSX_LOADER = pathToFileURL(createRequire(path.join(REPO_ROOT, 'package.json')).resolve('tsx')).href;
const TERMINAL = ['completed', 'failed', 'stopped', 'crashed'];

let dataDir: string;
let http: Server;
let platform: NodePlatform;
let client: YoloopsClient;
const completed: Job[] = [];

/** A processed instruction dataset as the process step leaves it: split JSONL files and dataset_info.json. */
function writeProcessed(key: string, rows: number): string {
  const dir = path.join(dataDir, key);
  mkdirSync(dir, { recursive: true });
  const line = (i: number) => JSON.stringify({ instruction: `问题 ${i}`, input: '', output: `回答 ${i}` });
  writeFileSync(path.join(dir, 'demo_train.jsonl'), `${Array.from({ length: rows }, (_, i) => line(i)).join('\n')}\n`);
  writeFileSync(path.join(dir, 'demo_validation.jsonl'), `${line(-1)}\n`);
  const columns = { prompt: 'instruction', query: 'input', response: 'output' };
  writeFileSync(path.join(dir, 'dataset_info.json'), JSON.stringify({
    demo_train: { file_name: 'demo_train.jsonl', columns }, demo_validation: { file_name: 'demo_validation.jsonl', columns },
  }));
  return key;
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'yoloops-e2e-finetune-'));
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  http = createServer((req, res) => (handler ? handler(req, res) : res.writeHead(503).end()));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  platform = await createNodePlatform({
    dataDir,
    jobs: {
      serverUrl: url, concurrency: 1, stopGraceMs: 3000, interruptGraceMs: 5000, watchdogMs: 60_000,
      env: { SCRIPTED_LF_STEP_MS: '60', YOLOOPS_AGENT_RETRY_CAP_MS: '500' },
      agentCommand: [process.execPath, '--conditions=source', '--import', TSX_LOADER, AGENT_CLI, 'run', '--server', '{server}', '--task', '{job_id}', '--run-dir', '{run_dir}', '--'],
      finetuneCommand: { train: [process.execPath, SCRIPTED_LF, 'train', '{config}'], resume: [process.execPath, SCRIPTED_LF, 'train', '{config}'] },
      onCompleted: (job) => void completed.push(job),
    },
  });
  handler = createApp({ services: platform, rateLimits: false });
  client = createClient({ baseUrl: url });
}, 30_000);

afterAll(async () => {
  try {
    for (const job of platform ? await platform.jobs.list() : []) if (!TERMINAL.includes(job.status)) await platform.jobs.stop(job.job_id).catch(() => undefined);
    await client?.close();
  } finally {
    http?.closeAllConnections();
    if (http) await new Promise<void>((resolve) => http.close(() => resolve()));
    platform?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
});

const getJob = (jobId: string) => client.training.get(jobId);
const trainerLog = (job: { run_dir: string }) =>
  readFileSync(path.join(job.run_dir, 'trainer_log.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, number>);

describe('fine-tune jobs under the real trainer agent', () => {
  test('steps are stored as the trainer logs them, progress follows its percentage, a cancel delivers SIGINT first', async () => {
    const key = writeProcessed('instructions/ids_slow/processed/v1', 400);
    const job = await platform.jobs.createFinetune({ dataset_dir: key, dataset: ['demo_train'], per_device_train_batch_size: 2, logging_steps: 2, save_steps: 1000 });
    const steps = await waitFor('4 steps stored', () => platform.jobMetrics.listSteps(job.job_id), (rows) => rows.length >= 4, 20_000);
    expect(steps.slice(0, 4).map((r) => r.step)).toEqual([2, 4, 6, 8]);
    const logged = new Map(trainerLog(job).map((l) => [l.current_steps, l]));
    for (const row of steps) {
      expect(row).toMatchObject({ attempt: 1, values: { loss: logged.get(row.step)?.loss, lr: logged.get(row.step)?.lr, epoch: logged.get(row.step)?.epoch } });
    }
    const seen = await waitFor('progress through the API', () => getJob(job.job_id), (j) => (j.progress?.current_steps ?? 0) >= 4);
    expect(seen).toMatchObject({ kind: 'llm-finetune', status: 'running', progress: { total_steps: 600, attempt: 1 } });
    const atThatStep = trainerLog(job).find((l) => l.current_steps === seen.progress?.current_steps);
    expect(seen.progress?.percentage).toBe(atThatStep?.percentage ?? Number.NaN);

    const stopped = await client.training.stop(job.job_id);
    expect(stopped.status).toBe('stopped');
    const ended = await waitFor('the trainer to exit', () => getJob(job.job_id), (j) => j.exit_code !== undefined || j.signal !== undefined);
    expect(ended.status).toBe('stopped');
    // The trainer (and the agent, which forwards it) got SIGINT first and saved a checkpoint on it.
    expect(readFileSync(path.join(job.run_dir, 'signals-seen.txt'), 'utf8').split('\n')[0]).toBe('SIGINT');
    expect(readFileSync(job.log_file, 'utf8')).toMatch(/KeyboardInterrupt: saving checkpoint-\d+/);
  }, 60_000);

  test('a job that completes has every logged step (eval merged in), progress 100, its adapter and metrics collected and registered', async () => {
    const key = writeProcessed('instructions/ids_fast/processed/v1', 16);
    const job = await platform.jobs.createFinetune({ dataset_dir: key, per_device_train_batch_size: 4, num_train_epochs: 2, logging_steps: 1, save_steps: 4 });
    const done = await waitFor(`job ${job.job_id} to finish`, () => getJob(job.job_id), (j) => TERMINAL.includes(j.status), 30_000);
    expect(done, JSON.stringify(done)).toMatchObject({ status: 'completed', progress: { percentage: 100, current_steps: 8, total_steps: 8 } });
    const steps = await platform.jobMetrics.listSteps(job.job_id);
    expect(steps.map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(steps.find((r) => r.step === 4)?.values).toMatchObject({ loss: expect.any(Number), eval_loss: expect.any(Number) });
    const withOutputs = await waitFor('outputs', () => getJob(job.job_id), (j) => j.outputs !== undefined);
    expect(withOutputs.outputs).toMatchObject({
      adapter: { dir: job.run_dir, files: [{ path: path.join(job.run_dir, 'adapter_config.json') }, { path: path.join(job.run_dir, 'adapter_model.safetensors') }] },
      metrics_source: 'all_results.json',
    });
    const { eval_loss: evalLoss } = withOutputs.outputs?.metrics ?? {};
    expect(withOutputs.outputs?.metrics.perplexity).toBeCloseTo(Math.exp(evalLoss ?? Number.NaN), 10);
    // The platform registered the adapter (registerLanguageModel) and linked it to the job.
    const linked = await waitFor('model_id', () => getJob(job.job_id), (j) => j.model_id !== undefined || j.completion_error !== undefined);
    expect(linked.completion_error).toBeUndefined();
    await waitFor('the caller\'s onCompleted, after the registration', () => completed.map((j) => j.job_id), (ids) => ids.includes(job.job_id));
    expect(await platform.models.get(linked.model_id ?? '')).toMatchObject({
      task: 'text-generation', source: 'trained', job_id: job.job_id, base_model: 'Qwen/Qwen2.5-0.5B-Instruct',
      metrics: { eval_loss: evalLoss, val_loss: evalLoss, perplexity: withOutputs.outputs?.metrics.perplexity }, training_config: { lora_r: 8, num_epochs: 2, batch_size: 4 },
    });
    expect(readFileSync(job.log_file, 'utf8')).toContain('yoloops-agent: fine-tune outputs stay in');
  }, 60_000);
});
