import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { createClient, type YoloopsClient } from '@yoloops/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startAuthServer, type AuthServer } from './support/auth.js';
import { rawRequest } from './support/http.js';
import { alpacaRecords, sharegptLines } from './support/instruction-data.js';
import { waitFor } from './support/training.js';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
let s: AuthServer;
let admin: YoloopsClient;
let alice: YoloopsClient;
let bobToken: string;
let alpacaId: string;
let alpacaNumber: number;
let chatId: string;

beforeAll(async () => {
  s = await startAuthServer();
  admin = createClient({ baseUrl: s.url, token: s.adminToken });
  alice = createClient({ baseUrl: s.url, token: (await s.member('alice')).token });
  bobToken = (await s.member('bob')).token;
  const a = await alice.catalog.datasets.uploadInstructions({ data: Buffer.from(JSON.stringify(alpacaRecords(50))), filename: 'stocks.json' }, { name: 'stocks' });
  [alpacaId, alpacaNumber] = [a.id, a.number];
  chatId = (await alice.catalog.datasets.uploadInstructions({ data: Buffer.from(sharegptLines(20).join('\n')), filename: 'chat.jsonl' }, { name: 'chat' })).id;
});
afterAll(async () => s?.close());

const post = (body: unknown, o: { token?: string; type?: string; query?: string } = {}) =>
  rawRequest(s.url, 'POST', `/api/v1/datasets/process${o.query ?? ''}`, {
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': o.type ?? 'application/json', authorization: `Bearer ${o.token ?? s.adminToken}` },
  });
const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');

describe('POST /api/v1/datasets/process', () => {
  test('default ratios and template: exact split counts, JSONL per split and dataset_info.json; the seed\'s body', async () => {
    const done = await alice.catalog.datasets.process({ dataset_id: alpacaId, output_name: 'stocks_processed' });
    expect(done).toEqual({
      task_id: expect.stringMatching(/^task_/), status: 'completed', dataset_id: alpacaId, output_path: expect.any(String),
      splits: { train: 40, validation: 5, test: 5 }, message: '数据集处理完成', processed_at: expect.stringMatching(ISO),
    });
    if (done.status !== 'completed') throw new Error('not completed');
    expect(done.output_path.startsWith(s.dataDir)).toBe(true);
    expect(readdirSync(done.output_path).sort()).toEqual(['dataset_info.json', 'test.jsonl', 'train.jsonl', 'validation.jsonl']);
    expect([lines(path.join(done.output_path, 'train.jsonl')).length, lines(path.join(done.output_path, 'validation.jsonl')).length, lines(path.join(done.output_path, 'test.jsonl')).length]).toEqual([40, 5, 5]);
    const first = JSON.parse(lines(path.join(done.output_path, 'train.jsonl'))[0]!) as Record<string, string>;
    expect(first.instruction).toMatch(/^分析股票 \d+ 的走势$/);
    expect(first.text).toBe(`### 指令:\n${first.instruction}\n\n### 回答:\n${first.output}`);
    const info = JSON.parse(readFileSync(path.join(done.output_path, 'dataset_info.json'), 'utf8')) as Record<string, { file_name: string; formatting: string }>;
    expect(info.stocks_processed_train).toMatchObject({ file_name: 'train.jsonl', formatting: 'alpaca' });
    const listed = await alice.catalog.datasets.get(alpacaNumber);
    expect(listed).toMatchObject({ state: 'processed', processed: [expect.objectContaining({ output_name: 'stocks_processed', output_path: done.output_path, splits: done.splits, seed: 42 })] });
  });

  test('the same seed writes the same bytes; another seed another order; custom ratios on ShareGPT give exact counts; a number names the dataset', async () => {
    const read = (p: string) => ['train', 'validation', 'test'].map((split) => readFileSync(path.join(p, `${split}.jsonl`)));
    const a = await admin.catalog.datasets.process({ dataset_id: alpacaId, output_name: 'seed7_a', seed: 7 });
    const b = await admin.catalog.datasets.process({ dataset_id: String(alpacaNumber), output_name: 'seed7_b', seed: 7 });
    const c = await admin.catalog.datasets.process({ dataset_id: alpacaId, output_name: 'seed8', seed: 8 });
    if (a.status !== 'completed' || b.status !== 'completed' || c.status !== 'completed') throw new Error('not completed');
    expect(b.dataset_id).toBe(alpacaId);
    read(a.output_path).forEach((bytes, i) => expect(bytes.equals(read(b.output_path)[i]!)).toBe(true));
    expect(read(a.output_path)[0]!.equals(read(c.output_path)[0]!)).toBe(false);
    const chat = await admin.catalog.datasets.process({ dataset_id: chatId, output_name: 'chat_split', train_ratio: 0.7, val_ratio: 0.2, test_ratio: 0.1, template: '{instruction}' });
    expect(chat).toMatchObject({ status: 'completed', splits: { train: 14, validation: 4, test: 2 } });
  });

  const ok = { dataset_id: 'ids_x', output_name: 'o' };
  test.each<{ label: string; body: unknown; details: string[] }>([
    { label: 'no dataset_id', body: { output_name: 'o' }, details: ["缺少必需字段 'dataset_id'"] },
    { label: 'a number dataset_id', body: { ...ok, dataset_id: 3 }, details: ["'dataset_id' 必须是一个字符串"] },
    { label: 'no output_name', body: { dataset_id: 'ids_x' }, details: ["缺少必需字段 'output_name'"] },
    { label: 'a number output_name', body: { ...ok, output_name: 5 }, details: ["'output_name' 必须是一个字符串"] },
    { label: 'a blank output_name', body: { ...ok, output_name: '  ' }, details: ["'output_name' 不能为空"] },
    { label: 'train_ratio 0', body: { ...ok, train_ratio: 0 }, details: ["'train_ratio' 必须在 0 到 1 之间"] },
    { label: 'a text train_ratio', body: { ...ok, train_ratio: '0.8' }, details: ["'train_ratio' 必须是一个数字"] },
    { label: 'val_ratio 1', body: { ...ok, val_ratio: 1 }, details: ["'val_ratio' 必须在 0 到 1 之间"] },
    { label: 'a negative test_ratio', body: { ...ok, test_ratio: -0.1 }, details: ["'test_ratio' 必须在 0 到 1 之间"] },
    { label: 'ratios summing to 0.9', body: { ...ok, train_ratio: 0.6, val_ratio: 0.2, test_ratio: 0.1 }, details: ["'train_ratio'、'val_ratio' 和 'test_ratio' 的总和必须为 1"] },
    { label: 'a number template', body: { ...ok, template: 5 }, details: ["'template' 必须是一个字符串"] },
    { label: 'an array body', body: [ok], details: ['请求体必须是一个 JSON 对象'] },
  ])('$label → 400 INVALID_REQUEST with the origin\'s details', async ({ body, details }) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      error: { code: 'INVALID_REQUEST', message: 'Invalid dataset process request', reason: 'invalid_request', details }, timestamp: expect.stringMatching(ISO), request_id: res.headers['x-request-id'],
    });
  });

  test('a text/plain body is a 415; an id or number naming no dataset the caller may see is a 404 NOT_FOUND in the seed 003 envelope', async () => {
    const plain = await post(JSON.stringify(ok), { type: 'text/plain' });
    expect(plain.status).toBe(415);
    expect(plain.json).toMatchObject({ error: { code: 'UNSUPPORTED_MEDIA_TYPE' }, request_id: expect.any(String) });
    const malformed = await post('{"dataset_id": ');
    expect(malformed.status).toBe(400);
    expect(malformed.json).toMatchObject({ error: { code: 'INVALID_REQUEST', message: expect.stringMatching(/malformed request body/) }, request_id: malformed.headers['x-request-id'] });
    for (const dataset_id of ['ids_missing', '999999', 'dataset 3']) {
      const res = await post({ dataset_id, output_name: 'o' });
      expect({ status: res.status, json: res.json }).toEqual({ status: 404, json: { error: { code: 'NOT_FOUND', message: 'Dataset not found', reason: 'not_found' }, timestamp: expect.any(String), request_id: res.headers['x-request-id'] } });
    }
    const record = await admin.catalog.datasets.create({ name: 'a detection record' });
    const detection = await post({ dataset_id: String(record.id), output_name: 'o' });
    expect(detection.status).toBe(404);
    expect(detection.json).toMatchObject({ error: { code: 'NOT_FOUND', message: `Dataset ${record.id} is not an instruction dataset: only datasets uploaded as JSON, JSON Lines or CSV are processed` } });
  });

  test.each(['../../escape', '..', '.', 'a/b', 'a\\b', 'x\u0000y', 'x'.repeat(201)])('hostile output_name %j → 400, nothing written outside the dataset', async (output_name) => {
    const res = await post({ dataset_id: alpacaId, output_name });
    expect(res.status).toBe(400);
    expect((res.json as { error: { details: string[] } }).error.details).toEqual(["'output_name' 不能包含 '/'、'\\' 或控制字符，不能是 '.' 或 '..'，最多 200 个字符"]);
    expect(existsSync(path.join(s.dataDir, 'escape'))).toBe(false);
    expect(existsSync(path.join(s.dataDir, 'instructions', 'escape'))).toBe(false);
  });

  test('a name the folder rule refuses (a space) is a 400 naming output_name; a template naming a missing field is a 400 too', async () => {
    const spaced = await post({ dataset_id: alpacaId, output_name: 'with space' });
    expect(spaced.status).toBe(400);
    expect(spaced.json).toMatchObject({ error: { code: 'INVALID_REQUEST', message: expect.stringContaining('output_name') } });
    const template = await post({ dataset_id: alpacaId, output_name: 'tpl', template: '{nope}' });
    expect(template.status).toBe(400);
    expect(template.json).toMatchObject({ error: { code: 'INVALID_REQUEST', message: expect.stringContaining('nope') } });
  });

  test('wait_s=0 answers 202 running with the task id; the run shows in /api/v1/tasks (dataset_processing) until completed', async () => {
    const res = await post({ dataset_id: chatId, output_name: 'later' }, { query: '?wait_s=0' });
    expect(res.status).toBe(202);
    expect(res.json).toEqual({ task_id: expect.stringMatching(/^task_/), status: 'running', dataset_id: chatId, output_path: null, splits: null, progress: expect.any(Number), message: '数据集处理中', processed_at: null });
    const taskId = (res.json as { task_id: string }).task_id;
    const task = await waitFor(() => admin.tasks.get(taskId), (t) => t.status !== 'running');
    expect(task).toMatchObject({ type: 'dataset_processing', status: 'completed', state: 'completed', progress: 100, resource_id: taskId, error: null, finished_at: expect.stringMatching(ISO) });
    expect(await admin.tasks.get(task.id)).toEqual(task);
    const listed = await admin.tasks.list({ type: 'dataset_processing' });
    expect(listed.tasks.map((t) => t.resource_id)).toContain(taskId);
    expect(listed.tasks.every((t) => t.type === 'dataset_processing')).toBe(true);
    expect((await rawRequest(s.url, 'GET', '/api/v1/tasks?type=dataset_processing', { headers: { authorization: `Bearer ${bobToken}` } })).json).toEqual({ total: 0, tasks: [] });
  });
});
