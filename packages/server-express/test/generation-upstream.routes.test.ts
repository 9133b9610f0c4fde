import * as fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fakeCompletion, fakeTokenCount, sendJson, startFakeOpenAiServer, type FakeOpenAiServer } from '../../core/test/support/fake-openai-server.js';
import { writeTinyGguf } from '../../core/test/support/tiny-gguf.js';
import { startGenerationServer, type GenerationServer } from './support/generation-server.js';

// Issue 11 §4: an OpenAI-compatible upstream (a real HTTP server in the test speaking the wire format)
// behind the same routes; model names the registry does not know are the upstream's.

let fake: FakeOpenAiServer;
let s: GenerationServer;
let dir: string;
let baseId: string;
const open: GenerationServer[] = [];

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'yoloops-generation-upstream-'));
  const files = await writeTinyGguf(dir);
  // Model "busy" answers 429 with the upstream's own Retry-After.
  fake = await startFakeOpenAiServer({
    kind: 'vllm', models: ['up-a', 'up-b', 'busy'],
    handle: (request, res) => {
      if (request.body?.model !== 'busy') return false;
      res.setHeader('retry-after', '7');
      sendJson(res, 429, { error: { message: 'too many requests' } });
      return true;
    },
  });
  s = await server({ llama: { threads: 1 }, upstream: { baseUrl: `${fake.url}/v1` } });
  baseId = await s.uploadGguf(files.model, { name: 'tiny llama' });
});
afterAll(async () => {
  for (const one of open) await one.close();
  await fake?.close();
  await fsp.rm(dir, { recursive: true, force: true });
});

async function server(generation: Parameters<typeof startGenerationServer>[0]) {
  const started = await startGenerationServer(generation);
  open.push(started);
  return started;
}

/** The URL of a server that was just closed: its port refuses connections. */
async function closedUrl(): Promise<string> {
  const gone = await startFakeOpenAiServer({ kind: 'vllm' });
  await gone.close();
  return gone.url;
}

describe('text generation on an OpenAI-compatible upstream', () => {
  test('seed 003: an upstream name, n = num_return_sequences as parallel requests, max_length less the prompt\'s tokens as max_tokens', async () => {
    const before = fake.completions().length;
    const prompt = 'tell me more';
    const out = await s.client.request('post', '/api/v1/generate', { body: { prompt, model_path: 'up-b', max_length: 40, temperature: 0.5, seed: 11, num_return_sequences: 3 } });
    const sent = fake.completions().slice(before);
    expect(sent).toHaveLength(3);
    expect(sent.map((r) => r.body!.max_tokens)).toEqual([40 - fakeTokenCount(prompt), 40 - fakeTokenCount(prompt), 40 - fakeTokenCount(prompt)]);
    expect(new Set(sent.map((r) => r.body!.seed)).size).toBe(3);
    expect(out.generated_texts).toEqual(sent.map((r) => fakeCompletion(r.body!).text));
    expect(out).toMatchObject({ model_path: 'up-b', model_id: 'up-b', backend: 'openai-compatible' });
    expect(out.usage).toEqual({ prompt_tokens: fakeTokenCount(prompt), completion_tokens: 3 * (40 - fakeTokenCount(prompt)), total_tokens: fakeTokenCount(prompt) + 3 * (40 - fakeTokenCount(prompt)) });
  });

  test('seed 002: max_tokens sent as is; a registry id still runs on llama.cpp', async () => {
    const before = fake.completions().length;
    const out = await s.client.request('post', '/api/v1/inference/generate', { body: { model_id: 'up-a', prompt: 'hi', max_tokens: 9, temperature: 0 } });
    const [sent] = fake.completions().slice(before);
    expect(sent!.body).toMatchObject({ model: 'up-a', prompt: 'hi', max_tokens: 9, temperature: 0, top_p: 0.9 });
    expect(out).toMatchObject({ model: 'up-a', model_id: 'up-a', backend: 'openai-compatible', output: fakeCompletion(sent!.body!).text, usage: { completion_tokens: 9 } });
    const local = await s.client.request('post', '/api/v1/inference/generate', { body: { model_id: baseId, prompt: 'hi', max_tokens: 3 } });
    expect(local.backend).toBe('llama.cpp');
    expect(fake.completions().length).toBe(before + 1);
  });

  test('GET /api/v1/inference/models: the registry\'s and the upstream\'s, each with its backend', async () => {
    const { models, upstream_error } = await s.client.request('get', '/api/v1/inference/models', {});
    expect(upstream_error).toBeNull();
    expect(models.map((m) => [m.id, m.backend])).toEqual([[baseId, 'llama.cpp'], ['up-a', 'openai-compatible'], ['up-b', 'openai-compatible'], ['busy', 'openai-compatible']]);
    expect(models.find((m) => m.id === 'up-a')).toMatchObject({ provider: 'vllm', size: null, number: null, status: 'ready' });
  });

  test('no model named and none registered: the upstream\'s first model', async () => {
    const empty = await server({ llama: false, upstream: { baseUrl: fake.url } });
    const out = await empty.client.request('post', '/api/v1/generate', { body: { prompt: 'hi', max_length: 10 } });
    expect(out).toMatchObject({ model_id: 'up-a', backend: 'openai-compatible' });
  });

  test('a busy upstream is a 503 with its Retry-After, in each dialect', async () => {
    const s003 = await s.post('/api/v1/generate', { prompt: 'hi', model_path: 'busy' });
    expect(s003.status).toBe(503);
    expect(s003.headers['retry-after']).toBe('7');
    expect(s003.json).toMatchObject({ error: { code: 'SERVICE_UNAVAILABLE', message: expect.stringContaining('is busy (HTTP 429)') } });
    const s002 = await s.post('/api/v1/inference/generate', { model_id: 'busy', prompt: 'hi' });
    expect(s002.status).toBe(503);
    expect(s002.headers['retry-after']).toBe('7');
    expect(s002.json).toMatchObject({ detail: expect.stringContaining('is busy'), code: 'upstream_busy' });
  });

  test('an upstream that is down: 503 + Retry-After in each dialect, its models noted as missing, the registry still generates, the server healthy', async () => {
    const down = await server({ llama: { threads: 1 }, upstream: { baseUrl: await closedUrl(), connectTimeoutMs: 1000 } });
    const local = await down.uploadGguf(path.join(dir, 'tiny-llama.gguf'));
    const s003 = await down.post('/api/v1/generate', { prompt: 'hi', model_path: 'up-a' });
    expect(s003.status).toBe(503);
    expect(Number(s003.headers['retry-after'])).toBeGreaterThan(0);
    expect(s003.json).toMatchObject({ error: { code: 'SERVICE_UNAVAILABLE', message: expect.stringContaining('unreachable (connection refused)') }, request_id: expect.any(String) });
    const s002 = await down.post('/api/v1/inference/generate', { model_id: 'up-a', prompt: 'hi' });
    expect(s002.status).toBe(503);
    expect(s002.json).toMatchObject({ code: 'upstream_unavailable' });
    const listed = await down.client.request('get', '/api/v1/inference/models', {});
    expect(listed.models.map((m) => m.id)).toEqual([local]);
    expect(listed.upstream_error).toMatch(/unreachable/);
    expect((await fetch(`${down.url}/health`)).status).toBe(200);
    const ok = await down.client.request('post', '/api/v1/generate', { body: { prompt: 'hi', model_path: local, max_length: 8 } });
    expect(ok.backend).toBe('llama.cpp');
  });
});
