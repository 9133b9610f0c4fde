import { createClient, type YoloopsClient } from '@yoloops/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startAuthServer, type AuthServer } from './support/auth.js';
import { scriptedFinetuneJobs, signalsSeen, trainerLog } from './support/finetune.js';
import type { RawResponse } from './support/http.js';
import { alpacaRecords } from './support/instruction-data.js';
import { waitFor } from './support/training.js';

// Seed 003's POST /api/v1/train, GET /train/status/{id}, POST /train/cancel/{id} on the real server (SQLite in a temp dir),
// the scripted llamafactory-cli under the real trainer-agent CLI reporting steps and progress.

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
type Status = { status: string; progress: number; current_steps: number; metrics: Record<string, number>; updated_at: string; model_id?: string };
type JobView = { status: string; run_dir: string; model_name: string; llm: Record<string, unknown> };

let s: AuthServer;
let alice: { token: string; client: YoloopsClient };
let bobToken: string;
let big: { id: string; number: number; output_path: string; task_id: string };
let small: { id: string; number: number; task_id: string };

async function uploadAndProcess(client: YoloopsClient, n: number, name: string) {
  const ds = await client.catalog.datasets.uploadInstructions({ data: Buffer.from(JSON.stringify(alpacaRecords(n))), filename: `${name}.json` }, { name });
  const done = await client.catalog.datasets.process({ dataset_id: ds.id, output_name: name });
  if (done.status !== 'completed') throw new Error(`processing ${name} did not finish`);
  return { id: ds.id, number: ds.number, output_path: done.output_path, task_id: done.task_id };
}

beforeAll(async () => {
  s = await startAuthServer({ jobs: scriptedFinetuneJobs(40) });
  const member = await s.member('alice');
  alice = { token: member.token, client: createClient({ baseUrl: s.url, token: member.token }) };
  bobToken = (await s.member('bob')).token;
  big = await uploadAndProcess(alice.client, 400, 'stocks');
  small = await uploadAndProcess(alice.client, 10, 'tiny');
}, 30_000);
afterAll(async () => {
  await alice?.client.close();
  await s?.close();
});

const train = (body: unknown, token = alice.token, type = 'application/json') =>
  s.call('POST', '/api/v1/train', { token, body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': type } });
const status = (id: string, token = alice.token) => s.call('GET', `/api/v1/train/status/${id}`, { token });
const cancel = (id: string, token = alice.token) => s.call('POST', `/api/v1/train/cancel/${id}`, { token });
const jobOf = async (id: string) => (await s.call('GET', `/train/jobs/${id}`, { token: s.adminToken })).json as JobView;
/** Through the typed client, so a drift between the route and the contract fails here. */
const statusOf = async (id: string) => (await alice.client.finetune.status(id)) as Status;
const envelope = (res: RawResponse, code: string, message: string | RegExp) => ({
  status: res.status, json: { error: { code, message: typeof message === 'string' ? message : expect.stringMatching(message), reason: expect.any(String) }, timestamp: expect.stringMatching(ISO), request_id: res.headers['x-request-id'] },
});

describe('POST /api/v1/train validation (the origin\'s rules and ours, through HTTP)', () => {
  const ok = { dataset_path: 'stocks' };
  const config = (c: unknown) => ({ ...ok, config: c });
  const lora = (c: unknown) => ({ ...ok, lora_config: c });
  const OUTPUT_DIR = "'output_dir' 必须是一个相对路径，不能包含 '..' 或控制字符，最多 1024 个字符";
  test.each<[string, unknown, string[]]>([
    ['no dataset_path', {}, ["缺少必需字段 'dataset_path'"]],
    ['a number dataset_path', { dataset_path: 7 }, ["'dataset_path' 必须是一个字符串"]],
    ['a blank dataset_path', { dataset_path: ' \t' }, ["'dataset_path' 不能为空"]],
    ['config not an object', config('lr=1'), ["'config' 必须是一个对象"]],
    ['a text learning_rate', config({ learning_rate: '3e-5' }), ["'learning_rate' 必须是一个数字"]],
    ['learning_rate 0', config({ learning_rate: 0 }), ["'learning_rate' 必须在 0 到 1 之间"]],
    ['learning_rate 1.5', config({ learning_rate: 1.5 }), ["'learning_rate' 必须在 0 到 1 之间"]],
    ['a fractional batch_size', config({ batch_size: 2.5 }), ["'batch_size' 必须是一个整数"]],
    ['batch_size 0', config({ batch_size: 0 }), ["'batch_size' 必须大于 0"]],
    ['a text num_epochs', config({ num_epochs: '3' }), ["'num_epochs' 必须是一个整数"]],
    ['num_epochs -1', config({ num_epochs: -1 }), ["'num_epochs' 必须大于 0"]],
    ['a number output_dir', config({ output_dir: 5 }), ["'output_dir' 必须是一个字符串"]],
    ['an empty output_dir', config({ output_dir: '' }), ["'output_dir' 不能为空"]],
    ['an absolute output_dir', config({ output_dir: '/etc/cron.d' }), [OUTPUT_DIR]],
    ['an output_dir climbing out', config({ output_dir: 'models/../../up' }), [OUTPUT_DIR]],
    ['quantization int2', config({ quantization: 'int2' }), ["'quantization' 必须是 'int8'、'int4' 或 null"]],
    ['lora_config not an object', lora(null), ["'lora_config' 必须是一个对象"]],
    ['a fractional r', lora({ r: 8.5 }), ["'r' 必须是一个整数"]],
    ['r 0', lora({ r: 0 }), ["'r' 必须大于 0"]],
    ['a text lora_alpha', lora({ lora_alpha: '16' }), ["'lora_alpha' 必须是一个整数"]],
    ['lora_alpha -16', lora({ lora_alpha: -16 }), ["'lora_alpha' 必须大于 0"]],
    ['a text lora_dropout', lora({ lora_dropout: 'none' }), ["'lora_dropout' 必须是一个数字"]],
    ['lora_dropout 1.1', lora({ lora_dropout: 1.1 }), ["'lora_dropout' 必须在 0 到 1 之间"]],
    ['an array body', [ok], ['请求体必须是一个 JSON 对象']],
    // ours: upper bounds the job takes, and the base model
    ['batch_size 5000', config({ batch_size: 5000 }), ["'batch_size' 必须在 1 到 4096 之间"]],
    ['num_epochs 1001', config({ num_epochs: 1001 }), ["'num_epochs' 必须在 1 到 1000 之间"]],
    ['r 2048', lora({ r: 2048 }), ["'r' 必须在 1 到 1024 之间"]],
    ['lora_alpha 5000', lora({ lora_alpha: 5000 }), ["'lora_alpha' 必须在 1 到 4096 之间"]],
    ['a number base_model', { ...ok, base_model: 3 }, ["'base_model' 必须是一个字符串"]],
    ['a blank config.model_name', config({ model_name: ' ' }), ["'model_name' 不能为空"]],
    ['two different base models', { ...ok, base_model: 'a', config: { model_name: 'b' } }, ["'base_model' 和 'model_name' 只能指定一个基础模型"]],
    [
      'everything at once, in the origin\'s order',
      { config: { learning_rate: 2, batch_size: 0, num_epochs: 0.5, quantization: 'fp8' }, lora_config: { r: 0, lora_alpha: 0, lora_dropout: 2 } },
      ["缺少必需字段 'dataset_path'", "'learning_rate' 必须在 0 到 1 之间", "'batch_size' 必须大于 0", "'num_epochs' 必须是一个整数", "'quantization' 必须是 'int8'、'int4' 或 null", "'r' 必须大于 0", "'lora_alpha' 必须大于 0", "'lora_dropout' 必须在 0 到 1 之间"],
    ],
  ])('%s → 400 INVALID_REQUEST with the details', async (_label, body, details) => {
    const res = await train(body);
    expect({ status: res.status, json: res.json }).toEqual({
      status: 400,
      json: { error: { code: 'INVALID_REQUEST', message: 'Invalid training configuration', reason: 'invalid_request', details }, timestamp: expect.stringMatching(ISO), request_id: res.headers['x-request-id'] },
    });
  });

  test('a text/plain body is a 415 before any rule; no token is a 401', async () => {
    expect((await train(JSON.stringify(ok), alice.token, 'text/plain')).status).toBe(415);
    expect((await s.call('POST', '/api/v1/train', { json: ok })).status).toBe(401);
  });

  test.each(['/etc', '../stocks', 'stocks', 'ids_nope/stocks', 'task_nope'])('dataset_path %j naming no processed dataset of the caller → 404 naming it; nothing queued', async (dataset_path) => {
    const before = ((await s.call('GET', '/train/jobs', { token: s.adminToken })).json as { jobs: unknown[] }).jobs.length;
    const res = await train({ dataset_path });
    expect({ status: res.status, json: res.json }).toEqual(envelope(res, 'NOT_FOUND', `Processed dataset ${JSON.stringify(dataset_path)} not found: dataset_path names one of your processed instruction datasets, by the output_path or task_id that POST /api/v1/datasets/process answered, or as <dataset id>/<output_name>`));
    expect(((await s.call('GET', '/train/jobs', { token: s.adminToken })).json as { jobs: unknown[] }).jobs).toHaveLength(before);
  });

  test('another member\'s processed output is a 404 too, by path, id/name and task id; an unknown base model is a 404 naming the catalog', async () => {
    for (const dataset_path of [big.output_path, `${big.id}/stocks`, `${big.number}/stocks`, big.task_id]) expect((await train({ dataset_path }, bobToken)).status).toBe(404);
    const res = await train({ dataset_path: big.task_id, base_model: 'gpt-5' });
    expect({ status: res.status, json: res.json }).toEqual(envelope(res, 'NOT_FOUND', /^base model gpt-5 is not in the base-model catalog \(known: Qwen2\.5-0\.5B-Instruct, /));
  });
});

describe('a fine-tune through /api/v1/train', () => {
  let slow: string;

  test('202 with the seed\'s body; the job carries the mapped config (int4 → QLoRA 4-bit, output_dir → the model\'s name)', async () => {
    const res = await train({
      dataset_path: big.output_path,
      config: { learning_rate: 1e-4, batch_size: 1, num_epochs: 3, output_dir: './models/stock_lora', quantization: 'int4' },
      lora_config: { r: 16, lora_alpha: 32, lora_dropout: 0.1 },
    });
    expect({ status: res.status, json: res.json }).toEqual({ status: 202, json: { task_id: expect.stringMatching(/^job_/), status: 'started', message: '训练任务已启动', created_at: expect.stringMatching(ISO) } });
    slow = (res.json as { task_id: string }).task_id;
    const job = await jobOf(slow);
    expect(job.model_name).toBe('stock_lora');
    expect(job.llm).toMatchObject({
      base_model: 'Qwen2.5-0.5B-Instruct', finetuning_type: 'qlora', quantization_bit: 4, learning_rate: 1e-4, per_device_train_batch_size: 1, num_train_epochs: 3,
      lora_rank: 16, lora_alpha: 32, lora_dropout: 0.1, dataset: ['stocks_train'], eval_dataset: ['stocks_validation'],
    });
  });

  test('status: running, progress and the latest step\'s metrics moving as the trainer logs them', async () => {
    const first = await waitFor(() => statusOf(slow), (x) => x.status === 'running' && x.current_steps >= 10, 30_000);
    const later = await waitFor(() => statusOf(slow), (x) => x.current_steps >= first.current_steps + 20, 30_000);
    const { run_dir: runDir } = await jobOf(slow);
    for (const seen of [first, later]) {
      const line = trainerLog(runDir).find((l) => l.current_steps === seen.current_steps);
      expect(seen.progress).toBe(Math.round((line?.percentage ?? Number.NaN) * 10) / 10);
      expect(trainerLog(runDir).some((l) => l.loss === seen.metrics.train_loss && l.lr === seen.metrics.learning_rate && l.epoch === seen.metrics.epoch)).toBe(true);
      expect(seen).toMatchObject({ task_id: slow, total_steps: 960, started_at: expect.stringMatching(ISO), base_model: 'Qwen2.5-0.5B-Instruct', finetuning_type: 'qlora', output_dir: './models/stock_lora' });
    }
    expect(later.progress).toBeGreaterThan(first.progress);
    expect(later.metrics.train_loss).toBeLessThan(first.metrics.train_loss ?? 0);
    expect(later.updated_at > first.updated_at).toBe(true);
  }, 60_000);

  test('another member: status and cancel are the origin\'s 404 and the job keeps running; a made-up id is the same 404', async () => {
    for (const res of [await status(slow, bobToken), await cancel(slow, bobToken), await status('job_nope'), await cancel('job_nope')]) {
      expect({ status: res.status, json: res.json }).toEqual(envelope(res, 'NOT_FOUND', 'Training task not found'));
    }
    expect((await statusOf(slow)).status).toBe('running');
  });

  test('cancel: SIGINT reaches the trainer first (it saves a checkpoint); canceled in the status; a second cancel is a 409 naming the state', async () => {
    const res = await cancel(slow);
    expect({ status: res.status, json: res.json }).toEqual({ status: 200, json: { task_id: slow, status: 'canceled', message: '训练任务已取消', canceled_at: expect.stringMatching(ISO) } });
    const { run_dir: runDir } = await jobOf(slow);
    expect(signalsSeen(runDir)[0]).toBe('SIGINT');
    expect(await statusOf(slow)).toMatchObject({ status: 'canceled' });
    const again = await cancel(slow);
    expect({ status: again.status, json: again.json }).toEqual(envelope(again, 'CONFLICT', `Training task ${slow} is already canceled (job status stopped): only a queued or running task can be canceled`));
  }, 30_000);

  test('a run that completes: progress 100, its adapter registered (model_id), metrics from the last step; cancel is a 409 "already completed"', async () => {
    const res = await train({ dataset_path: `${small.number}/tiny`, config: { batch_size: 4, num_epochs: 2 } });
    expect(res.status).toBe(202);
    const id = (res.json as { task_id: string }).task_id;
    const done = await waitFor(() => statusOf(id), (x) => x.status !== 'queued' && x.status !== 'running' && x.model_id !== undefined, 30_000);
    expect(done).toMatchObject({ status: 'completed', progress: 100, current_steps: 4, total_steps: 4, metrics: { train_loss: expect.any(Number), learning_rate: expect.any(Number), epoch: 2 } });
    expect(done.model_id).toMatch(/^model_/);
    const again = await cancel(id);
    expect({ status: again.status, json: again.json }).toEqual(envelope(again, 'CONFLICT', `Training task ${id} is already completed: only a queued or running task can be canceled`));
  }, 40_000);

  test('dataset_path as the processing task id or <id>/<name>, with a base model from the catalog', async () => {
    for (const dataset_path of [small.task_id, `${small.id}/tiny/`]) {
      const res = await train({ dataset_path, base_model: 'Qwen2.5-1.5B-Instruct', config: { num_epochs: 1 } });
      expect(res.status).toBe(202);
      const id = (res.json as { task_id: string }).task_id;
      expect((await jobOf(id)).llm).toMatchObject({ base_model: 'Qwen2.5-1.5B-Instruct', finetuning_type: 'lora', quantization_bit: null, dataset: ['tiny_train'] });
      expect((await jobOf(id)).model_name).toBe('Qwen2.5-1.5B-Instruct-lora');
      await waitFor(() => statusOf(id), (x) => x.status === 'completed', 30_000);
    }
  }, 60_000);
});

describe('rate limit', () => {
  test('training submissions share the train class (a 429 in the seed 003 envelope once spent)', async () => {
    const limited = await startAuthServer({ rateLimits: { train: { limit: 1, windowMs: 3_600_000 } } });
    try {
      const post = () => limited.call('POST', '/api/v1/train', { token: limited.adminToken, json: {} });
      expect((await post()).status).toBe(400);
      const res = await post();
      expect(res.status).toBe(429);
      expect(res.json).toMatchObject({ error: { code: 'TOO_MANY_REQUESTS' }, request_id: res.headers['x-request-id'] });
      expect((await limited.call('GET', '/api/v1/train/status/job_x', { token: limited.adminToken })).status).toBe(404);
    } finally {
      await limited.close();
    }
  });
});
