import * as fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fakeCompletion, startFakeOpenAiServer, type FakeOpenAiServer } from '../../core/test/support/fake-openai-server.js';
import { writeTinyGguf } from '../../core/test/support/tiny-gguf.js';
import { startGenerationServer, type GenerationServer } from './support/generation-server.js';

// Our streaming route: POST /api/v1/inference/stream sends the text as Server-Sent Events.

let fake: FakeOpenAiServer;
let s: GenerationServer;
let dir: string;
let baseId: string;

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'yoloops-generation-stream-'));
  const files = await writeTinyGguf(dir);
  fake = await startFakeOpenAiServer({ kind: 'vllm', models: ['up-a'] });
  s = await startGenerationServer({ llama: { threads: 1 }, upstream: { baseUrl: fake.url } });
  baseId = await s.uploadGguf(files.model, { name: 'tiny' });
});
afterAll(async () => {
  await s?.close();
  await fake?.close();
  await fsp.rm(dir, { recursive: true, force: true });
});

/** The `data:` payloads of a stream, in order. */
async function stream(body: unknown): Promise<{ status: number; type: string | null; events: string[] }> {
  const res = await fetch(`${s.url}/api/v1/inference/stream`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  const events = text.split('\n\n').filter((e) => e.startsWith('data: ')).map((e) => e.slice('data: '.length));
  return { status: res.status, type: res.headers.get('content-type'), events };
}

describe('POST /api/v1/inference/stream', () => {
  test('a registry model streams the text /inference/generate answers, then its finish and [DONE]', async () => {
    const body = { model_id: baseId, prompt: 'hello world', max_tokens: 20, temperature: 0 };
    const whole = await s.client.request('post', '/api/v1/inference/generate', { body });
    const { status, type, events } = await stream(body);
    expect(status).toBe(200);
    expect(type).toMatch(/^text\/event-stream/);
    expect(events.at(-1)).toBe('[DONE]');
    const parsed = events.slice(0, -1).map((e) => JSON.parse(e) as { text: string; finish_reason?: string; model_id?: string; backend?: string; latency_ms?: number });
    expect(parsed.length).toBeGreaterThan(2);
    expect(parsed.map((p) => p.text).join('')).toBe(whole.output);
    expect(parsed.at(-1)).toMatchObject({ text: '', finish_reason: whole.finish_reason, model_id: baseId, backend: 'llama.cpp', latency_ms: expect.any(Number) });
  });

  test('an upstream model streams the upstream\'s pieces', async () => {
    const { events } = await stream({ model_id: 'up-a', prompt: 'tell me', max_tokens: 12, temperature: 0.3, seed: 2 });
    const parsed = events.slice(0, -1).map((e) => JSON.parse(e) as { text: string; backend?: string });
    const [sent] = fake.completions().filter((r) => r.body?.stream === true);
    expect(parsed.map((p) => p.text).join('')).toBe(fakeCompletion(sent!.body!).text);
    expect(parsed.at(-1)?.backend).toBe('openai-compatible');
  });

  test('an unknown model is a 404 before any stream; a bad body a 422', async () => {
    const missing = await stream({ model_id: 'model_nope', prompt: 'x' });
    expect(missing.status).toBe(404);
    expect(missing.type).toMatch(/^application\/json/);
    expect((await stream({ model_id: baseId })).status).toBe(422);
  });
});
