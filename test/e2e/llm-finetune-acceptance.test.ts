import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createClient, type YoloopsClient } from '@yoloops/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { writeTinyGguf } from '../../packages/core/test/support/tiny-gguf.js';
import { REPO_ROOT, zipFiles } from '../support/fixtures.js';
import { freePort, killProcessGroupsWith, waitFor } from '../support/server-process.js';

// Issue 11, acceptance (end to end): the REAL server CLI (`yoloops serve`, from source) as a child process, the real
// trainer-agent CLI around a scripted `llamafactory-cli train` that writes LLaMA-Factory's files (and a GGUF LoRA made
// by tiny-gguf.ts for a registered tiny llama base). Upload an Alpaca JSON and a ShareGPT JSONL, process them, start
// LoRA jobs through /api/v1/train, watch progress and loss, cancel one (SIGINT first), let one complete and register its
// adapter, and generate with it.

const TSX = pathToFileURL(createRequire(path.join(REPO_ROOT, 'package.json')).resolve('tsx')).href;
const CLI = path.join(REPO_ROOT, 'packages/server-express/src/cli.ts');
const AGENT_CLI = path.join(REPO_ROOT, 'packages/trainer-agent/src/cli.ts');
const SCRIPTED_LF = path.join(REPO_ROOT, 'packages/core/test/fixtures/scripted-llamafactory.mjs');
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

let root: string;
let server: ChildProcess | undefined;
let output = '';
let url: string;
let client: YoloopsClient;
let gguf: { model: string; lora: string };
const marker = () => `YOLOOPS_E2E_LLM=${root}`;

type Json = Record<string, any>;
async function call(method: string, p: string, body?: unknown): Promise<{ status: number; json: Json }> {
  const res = await fetch(url + p, { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) });
  return { status: res.status, json: (await res.json()) as Json };
}

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'yoloops-e2e-llm-'));
  gguf = await writeTinyGguf(root);
  const catalog = path.join(root, 'base-models.yaml');
  // The operator's catalog: one tiny base whose GGUF is the registered model `tiny-base` (a trained GGUF LoRA applies on it).
  writeFileSync(catalog, 'models:\n  - id: tiny-llama\n    model_name_or_path: test/tiny-llama\n    template: llama3\n    default: true\n    gguf_model_id: tiny-base\n');
  const port = await freePort();
  server = spawn(process.execPath, ['--conditions=source', '--import', TSX, CLI, 'serve'], {
    cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env, PORT: String(port), YOLOOPS_DATA_DIR: path.join(root, 'data'), YOLOOPS_RATE_LIMITS: 'off', // the test polls
      YOLOOPS_LLM_BASE_MODELS: catalog, YOLOOPS_TRAINING_CONCURRENCY: '2', YOLOOPS_FINETUNE_STOP_GRACE: '5',
      YOLOOPS_FINETUNE_COMMAND: JSON.stringify([process.execPath, SCRIPTED_LF, 'train', '{config}']),
      YOLOOPS_AGENT_COMMAND: JSON.stringify([process.execPath, '--conditions=source', '--import', TSX, AGENT_CLI, 'run', '--server', '{server}', '--task', '{job_id}', '--run-dir', '{run_dir}', '--']),
      // Inherited by agents and trainers: steps of 80 ms, quick agent retries, the GGUF LoRA the run exports, the marker that finds them.
      SCRIPTED_LF_STEP_MS: '80', YOLOOPS_AGENT_RETRY_CAP_MS: '500', SCRIPTED_LF_GGUF_FROM: gguf.lora, YOLOOPS_E2E_LLM: root,
    },
  });
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000));
  server.stdout?.on('data', keep);
  server.stderr?.on('data', keep);
  await waitFor('the server to listen', () => output, (text) => text.includes('yoloops listening on') || server?.exitCode !== null, 60_000);
  expect(server.exitCode, output).toBeNull();
  url = `http://127.0.0.1:${port}`;
  client = createClient({ baseUrl: url });
}, 90_000);

afterAll(async () => {
  await client?.close();
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

const alpaca = Array.from({ length: 50 }, (_, i) => ({ instruction: `分析股票 ${i} 的走势`, input: i % 3 === 0 ? '' : `市盈率 ${i}`, output: `股票 ${i} 近期震荡。` }));
const sharegpt = Array.from({ length: 20 }, (_, i) => JSON.stringify({ conversations: [{ from: 'human', value: `问题 ${i}` }, { from: 'gpt', value: `回答 ${i}` }] })).join('\n');
const splitBytes = (dir: string) => ['train', 'validation', 'test'].map((s) => readFileSync(path.join(dir, `${s}.jsonl`), 'utf8'));
const status = (id: string) => client.finetune.status(id);

describe('LLM fine-tuning end to end (issue 11)', () => {
  const out: Record<string, { output_path: string; task_id: string }> = {};
  let canceled: string;
  let completed: string;
  let modelId: string;

  test('an Alpaca JSON and a ShareGPT JSONL upload through /api/v1/datasets/upload, detected and counted', async () => {
    const a = await client.catalog.datasets.uploadInstructions({ data: Buffer.from(JSON.stringify(alpaca)), filename: 'stocks.json' }, { name: 'stocks' });
    const c = await client.catalog.datasets.uploadInstructions({ data: Buffer.from(sharegpt), filename: 'chat.jsonl' }, { name: 'chat' });
    expect(a).toMatchObject({ samples_count: 50, record_format: 'alpaca', format: 'json', message: '数据集上传成功' });
    expect(c).toMatchObject({ samples_count: 20, record_format: 'sharegpt', format: 'jsonl' });
    for (const [key, ds, ratios, want] of [
      ['stocks', a.id, {}, { train: 40, validation: 5, test: 5 }],
      ['chat', c.id, { train_ratio: 0.7, val_ratio: 0.2, test_ratio: 0.1 }, { train: 14, validation: 4, test: 2 }],
    ] as const) {
      const first = await client.catalog.datasets.process({ dataset_id: ds, output_name: key, ...ratios });
      const again = await client.catalog.datasets.process({ dataset_id: ds, output_name: `${key}_again`, ...ratios });
      if (first.status !== 'completed' || again.status !== 'completed') throw new Error('processing did not finish');
      expect([first.splits, again.splits]).toEqual([want, want]);
      expect(splitBytes(again.output_path)).toEqual(splitBytes(first.output_path)); // same seed, same split, byte for byte
      out[key] = first;
    }
  });

  test('a tiny llama GGUF registers as the base the catalog names', async () => {
    const zip = await zipFiles({ 'model.json': JSON.stringify({ model_id: 'tiny-base', name: 'tiny llama' }), 'weights/tiny.gguf': readFileSync(gguf.model) });
    expect(await client.models.upload({ data: zip, filename: 'tiny.zip' })).toMatchObject({ model_id: 'tiny-base', task: 'text-generation', llm_info: { kind: 'model', architecture: 'llama' } });
  });

  test('two LoRA jobs start through /api/v1/train; progress and loss move on the slow one; canceling it sends SIGINT first', async () => {
    const slow = await client.finetune.start({ dataset_path: out.stocks?.output_path ?? '', config: { batch_size: 1, num_epochs: 3 }, lora_config: { r: 4, lora_alpha: 8 } });
    expect(slow).toMatchObject({ status: 'started', message: '训练任务已启动', created_at: expect.stringMatching(ISO) });
    canceled = slow.task_id;
    const fast = await call('POST', '/api/v1/train', { dataset_path: out.chat?.task_id, config: { batch_size: 2, num_epochs: 2, output_dir: './models/chat_lora' } });
    expect(fast.status).toBe(202);
    completed = fast.json.task_id;

    const early = await waitFor('the slow job to log', () => status(canceled), (s) => s.status === 'running' && s.current_steps >= 10, 60_000);
    const later = await waitFor('more steps', () => status(canceled), (s) => s.current_steps >= early.current_steps + 20, 60_000);
    expect(early).toMatchObject({ total_steps: 120, metrics: { train_loss: expect.any(Number), learning_rate: expect.any(Number), epoch: expect.any(Number) } });
    expect(later.progress).toBeGreaterThan(early.progress);
    expect(later.metrics.train_loss).toBeLessThan(early.metrics.train_loss ?? 0);
    const curve = (await call('GET', `/api/v1/metrics/loss/${canceled}`)).json;
    expect(curve.data.length).toBeGreaterThanOrEqual(3);
    expect(curve.data.map((p: Json) => p.trainer_step)).toEqual(curve.data.map((_: Json, i: number) => 10 * (i + 1)));

    expect(await client.finetune.cancel(canceled)).toMatchObject({ task_id: canceled, status: 'canceled', message: '训练任务已取消', canceled_at: expect.stringMatching(ISO) });
    const { run_dir: runDir } = await client.training.get(canceled);
    expect(readFileSync(path.join(runDir, 'signals-seen.txt'), 'utf8').split('\n')[0]).toBe('SIGINT');
    expect(await status(canceled)).toMatchObject({ status: 'canceled' });
    expect((await call('POST', `/api/v1/train/cancel/${canceled}`)).status).toBe(409);
  }, 120_000);

  test('the other completes and registers its GGUF LoRA on the tiny base, named after output_dir', async () => {
    const done = await waitFor('the fast job', () => status(completed), (s) => s.status === 'completed' && (s.model_id !== undefined || s.error !== undefined), 60_000);
    expect(done).toMatchObject({ progress: 100, total_steps: 14, current_steps: 14 });
    expect(done.error).toBeUndefined();
    modelId = done.model_id ?? '';
    expect(await client.models.get(modelId)).toMatchObject({
      name: 'chat_lora', task: 'text-generation', source: 'trained', job_id: completed, base_model_id: 'tiny-base', llm_info: { kind: 'adapter', adapter_type: 'lora' },
      training_config: { lora_r: 8, num_epochs: 2, batch_size: 2, finetuning_type: 'lora' },
    });
  }, 90_000);

  test('generation with the trained adapter through both seeds: the same seed the same text, unlike the base alone; max_tokens honoured with real usage', async () => {
    const generate = (model_path: string) => call('POST', '/api/v1/generate', { prompt: 'hello', model_path, max_length: 12, seed: 42, temperature: 0.8 });
    const first = await generate(modelId);
    expect(first, JSON.stringify(first.json)).toMatchObject({ status: 200, json: { prompt: 'hello', model_path: expect.any(String), generated_texts: [expect.any(String)], generation_time: expect.any(Number) } });
    expect((await generate(modelId)).json.generated_texts).toEqual(first.json.generated_texts);
    expect((await generate('tiny-base')).json.generated_texts).not.toEqual(first.json.generated_texts);
    // Seed 002's route on the same adapter: at most max_tokens new tokens, counted for real.
    const s002 = await call('POST', '/api/v1/inference/generate', { model_id: modelId, prompt: 'hello', max_tokens: 6, seed: 42 });
    expect(s002, JSON.stringify(s002.json)).toMatchObject({ status: 200, json: { model_id: modelId, output: expect.any(String), latency_ms: expect.any(Number) } });
    const { usage } = s002.json as { usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } };
    expect(usage.completion_tokens).toBeGreaterThan(0);
    expect(usage.completion_tokens).toBeLessThanOrEqual(6);
    expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
    expect((await call('GET', '/health')).status).toBe(200);
  }, 60_000);
});
