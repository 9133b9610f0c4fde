import * as fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createNodePlatform } from '@yoloops/core/node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { writeTinyGguf } from '../../core/test/support/tiny-gguf.js';
import { startGenerationServer, type GenerationServer } from './support/generation-server.js';

// Issue 11 §4: the tiny llama GGUF and its LoRA adapter, registered through POST /models/upload, generate
// through seed 003's and seed 002's routes on the embedded llama.cpp generator.

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const PROMPT = '### 指令:\n你好\n\n### 回答:\n';
let s: GenerationServer;
let dir: string;
let files: { model: string; lora: string };
let baseId: string;
let adapterId: string;

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'yoloops-generation-files-'));
  files = await writeTinyGguf(dir);
  s = await startGenerationServer();
  baseId = await s.uploadGguf(files.model, { name: 'tiny llama' });
  adapterId = await s.uploadGguf(files.lora, { name: 'tiny lora', base_model_id: baseId });
});
afterAll(async () => {
  await s?.close();
  await fsp.rm(dir, { recursive: true, force: true });
});

const generate = (body: Record<string, unknown>) => s.client.request('post', '/api/v1/generate', { body: body as never });
const inference = (body: Record<string, unknown>) => s.client.request('post', '/api/v1/inference/generate', { body: body as never });

describe('POST /api/v1/generate (seed 003)', () => {
  test('the same seed gives the same text, another seed another; the answer is the seed\'s shape with real time and usage', async () => {
    const body = { prompt: PROMPT, model_path: baseId, max_length: 40, temperature: 0.9, top_p: 0.95, seed: 7 };
    const a = await generate(body);
    const b = await generate(body);
    const c = await generate({ ...body, seed: 8 });
    expect(a).toMatchObject({ prompt: PROMPT, model_id: baseId, backend: 'llama.cpp', timestamp: expect.stringMatching(ISO) });
    expect(a.model_path).toBe(path.join(await fsp.realpath(s.dataDir), 'models', baseId));
    expect(a.generation_time).toBeGreaterThan(0);
    expect(a.generated_texts).toHaveLength(1);
    expect(b.generated_texts).toEqual(a.generated_texts);
    expect(c.generated_texts).not.toEqual(a.generated_texts);
  });

  test('max_length counts prompt + new tokens exactly (Hugging Face); the LoRA adapter changes the greedy text', async () => {
    const plain = await generate({ prompt: PROMPT, model_path: baseId, max_length: 60, temperature: 0 });
    expect(plain.finish_reasons).toEqual(['length']);
    expect(plain.usage.total_tokens).toBe(60);
    expect(plain.usage.prompt_tokens + plain.usage.completion_tokens).toBe(60);
    const tuned = await generate({ prompt: PROMPT, model_path: adapterId, max_length: 60, temperature: 0 });
    expect(tuned.usage).toEqual(plain.usage);
    expect(tuned.generated_texts[0]).not.toBe(plain.generated_texts[0]);
    expect(tuned.model_id).toBe(adapterId);
  });

  test('model_path takes the model\'s number and its path as well as its id; none is the newest trained model, else the newest one', async () => {
    const listed = await s.client.request('get', '/api/v1/models', {});
    const row = listed.models.find((m) => m.model_id === baseId)!;
    const body = { prompt: 'hello world', max_length: 30, temperature: 0 };
    const byId = await generate({ ...body, model_path: baseId });
    expect((await generate({ ...body, model_path: String(row.id) })).generated_texts).toEqual(byId.generated_texts);
    expect((await generate({ ...body, model_path: row.path })).generated_texts).toEqual(byId.generated_texts);
    // Both were uploaded (none trained): the newest language model, the adapter.
    expect((await generate(body)).model_id).toBe(adapterId);
  });

  test('num_return_sequences 1–5: that many texts (seed, seed + 1, …), usage summed', async () => {
    const out = await generate({ prompt: 'hello world', model_path: baseId, max_length: 20, temperature: 1, seed: 3, num_return_sequences: 5 });
    expect(out.generated_texts).toHaveLength(5);
    expect(new Set(out.generated_texts).size).toBeGreaterThan(1);
    expect(out.usage.prompt_tokens).toBe(12);
    expect(out.usage.total_tokens).toBe(12 + out.usage.completion_tokens);
    const second = await generate({ prompt: 'hello world', model_path: baseId, max_length: 20, temperature: 1, seed: 4 });
    expect(second.generated_texts[0]).toBe(out.generated_texts[1]);
  });

  test('POST /api/v1/generate/batch: three prompts in order, each its texts and usage, times summed', async () => {
    const prompts = ['hello world', '你好', PROMPT];
    const out = await s.client.request('post', '/api/v1/generate/batch', { body: { prompts, model_path: baseId, max_length: 48, temperature: 0, num_return_sequences: 2 } });
    expect(out.results.map((r) => r.prompt)).toEqual(prompts);
    expect(out.results.map((r) => r.generated_texts.length)).toEqual([2, 2, 2]);
    for (const [i, r] of out.results.entries()) {
      const single = await generate({ prompt: prompts[i], model_path: baseId, max_length: 48, temperature: 0 });
      expect(r.generated_texts[0]).toBe(single.generated_texts[0]);
    }
    expect(out.total_generation_time).toBeCloseTo(out.results.reduce((t, r) => t + r.generation_time, 0), 5);
    expect(out.usage.total_tokens).toBe(out.results.reduce((t, r) => t + r.usage.total_tokens, 0));
    expect(out).toMatchObject({ model_id: baseId, model_path: expect.stringMatching(new RegExp(`${baseId}$`)), timestamp: expect.stringMatching(ISO) });
  });

  test('errors in seed 003\'s envelope: our seed field checked in its words, an unknown model a 404', async () => {
    const bad = await s.post('/api/v1/generate', { prompt: '', seed: -1 });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ error: { code: 'INVALID_REQUEST', message: 'Invalid generation request', details: ["'prompt' 不能为空", "'seed' 必须在 0 到 2147483647 之间"] } });
    const missing = await s.post('/api/v1/generate', { prompt: 'x', model_path: 'no-such-model' });
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ error: { code: 'NOT_FOUND', message: expect.stringContaining('"no-such-model" is not registered') }, request_id: missing.headers['x-request-id'] });
  });
});

describe('seed 002 inference', () => {
  test('GET /api/v1/inference/models lists the registry GGUF models with their backend, number and kind', async () => {
    const { models, upstream_error } = await s.client.request('get', '/api/v1/inference/models', {});
    expect(upstream_error).toBeNull();
    const base = models.find((m) => m.id === baseId);
    expect(base).toMatchObject({ name: 'tiny llama', provider: 'yoloops', backend: 'llama.cpp', status: 'ready', kind: 'model', base_model_id: null, context_length: 256, number: expect.any(Number) });
    expect(base!.size).toMatch(/^\d+(\.\d)?K$/);
    expect(models.find((m) => m.id === adapterId)).toMatchObject({ kind: 'adapter', base_model_id: baseId, backend: 'llama.cpp' });
  });

  test('POST /api/v1/inference/generate: max_tokens new tokens exactly, the tokenizer\'s usage, measured latency; the same text as seed 003 with max_length = prompt + max_tokens', async () => {
    const out = await inference({ model_id: baseId, prompt: 'hello world', max_tokens: 17, temperature: 0 });
    expect(out).toMatchObject({ id: expect.stringMatching(/^[0-9a-f]{8}$/), model: baseId, model_id: baseId, prompt: 'hello world', backend: 'llama.cpp', created_at: expect.stringMatching(ISO) });
    expect(out.finish_reason).toBe('length');
    expect(out.usage).toEqual({ prompt_tokens: 12, completion_tokens: 17, total_tokens: 29 });
    expect(out.latency_ms).toBeGreaterThan(0);
    const same = await generate({ prompt: 'hello world', model_path: baseId, max_length: 29, temperature: 0 });
    expect(same.generated_texts[0]).toBe(out.output);
    const { models } = await s.client.request('get', '/api/v1/inference/models', {});
    const byNumber = await inference({ model_id: models.find((m) => m.id === baseId)!.number!, prompt: 'hello world', max_tokens: 17, temperature: 0 });
    expect(byNumber).toMatchObject({ model: String(models.find((m) => m.id === baseId)!.number), model_id: baseId, output: out.output });
  });

  test('validation is FastAPI\'s 422; an unknown model a 404 {detail}', async () => {
    const bad = await s.post('/api/v1/inference/generate', { model_id: baseId, max_tokens: 0 });
    expect(bad.status).toBe(422);
    const locs = (bad.json as { detail: { loc: string[] }[] }).detail.map((d) => d.loc.join('.'));
    expect(locs).toEqual(expect.arrayContaining(['body.prompt', 'body.max_tokens']));
    const missing = await s.post('/api/v1/inference/generate', { model_id: 'llama2-7b-chat', prompt: 'x' });
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ detail: expect.stringContaining('"llama2-7b-chat" is not registered'), code: 'model_not_found' });
  });
});

describe('GET /api/v1/models (seeds 002 and 003)', () => {
  test('a language model shows seed 003\'s fields; usage_count and last_used move with each generation', async () => {
    const before = await s.client.request('get', '/api/v1/models/{model_id}', { params: { model_id: baseId } });
    expect(before).toMatchObject({ model_id: baseId, name: 'tiny llama', task: 'text-generation', framework: 'gguf', status: 'ready', training_config: null, metrics: null });
    expect(before.size_mb).toBeCloseTo(before.size_bytes / 2 ** 20, 2);
    await generate({ prompt: 'x', model_path: baseId, max_length: 5 });
    await inference({ model_id: baseId, prompt: 'x', max_tokens: 2 });
    const after = await s.client.request('get', '/api/v1/models/{model_id}', { params: { model_id: String(before.id) } });
    expect(after.usage_count).toBe(before.usage_count + 2);
    expect(after.last_used).toMatch(ISO);
    expect(after.last_used! > (before.last_used ?? '')).toBe(true);
    const list = await s.client.request('get', '/api/v1/models', {});
    expect(list).toMatchObject({ total: list.models.length, count: list.models.length, timestamp: expect.stringMatching(ISO) });
    expect(list.models.find((m) => m.id === before.id)).toEqual(after);
  });

  test('a GGUF broken on disk after registration is a 4xx naming the file; the server stays healthy and the others still generate', async () => {
    const copy = path.join(dir, 'copy.gguf');
    await fsp.copyFile(files.model, copy);
    const broken = await s.uploadGguf(copy, { name: 'soon broken' });
    const stored = (await s.platform.models.get(broken)).weights_path;
    await fsp.truncate(stored, (await fsp.stat(stored)).size - 500);
    const res = await s.post('/api/v1/generate', { prompt: 'x', model_path: broken });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect((res.json as { error: { message: string } }).error.message).toMatch(/copy\.gguf: GGUF tensor .* past the end of the file/);
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
    expect((await generate({ prompt: 'x', model_path: baseId, max_length: 4 })).usage.total_tokens).toBeLessThanOrEqual(4);
  });

  test('a fine-tuned adapter shows its run\'s training_config and metrics (perplexity = exp(val_loss)); it becomes the default model', async () => {
    const trained = await s.platform.models.registerLanguageModel({
      files: [{ path: files.lora }], base_model_id: baseId, job_id: 'job_tuned', name: 'tuned', training_config: { lora_r: 8, learning_rate: 3e-5 }, metrics: { train_loss: 1.5, val_loss: 2 },
    });
    const view = await s.client.request('get', '/api/v1/models/{model_id}', { params: { model_id: trained.model_id } });
    expect(view).toMatchObject({ base_model: baseId, training_config: { lora_r: 8, learning_rate: 3e-5 }, usage_count: 0, last_used: null });
    expect(view.metrics).toEqual({ final_loss: 1.5, mAP50: null, 'mAP50-95': null, precision: null, recall: null, train_loss: 1.5, val_loss: 2, perplexity: Math.exp(2) });
    expect((await generate({ prompt: 'x', max_length: 4 })).model_id).toBe(trained.model_id);
  });

  test('usage counts are kept in SQLite across a restart', async () => {
    const count = (await s.platform.models.get(baseId)).usage_count!;
    expect(count).toBeGreaterThan(0);
    await s.close({ keepData: true });
    const reopened = await createNodePlatform({ dataDir: s.dataDir, generation: { llama: false } });
    try {
      expect(await reopened.models.get(baseId)).toMatchObject({ usage_count: count, last_used: expect.stringMatching(ISO) });
    } finally {
      reopened.close();
    }
    s = await startGenerationServer(undefined, s.dataDir);
  });
});
