import * as fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectRejection } from '../../test/support/expect-core-error.js';
import { fakeCompletion, startFakeOpenAiServer, type FakeOpenAiServer } from '../../test/support/fake-openai-server.js';
import { writeTinyGguf } from '../../test/support/tiny-gguf.js';
import { createLlamaCppTextGenerator } from '../adapters/llama-cpp/llama-cpp-text-generator.js';
import { createMemoryModelStore } from '../adapters/memory/memory-model-store.js';
import { createFsBlobStore } from '../adapters/fs/fs-blob-store.js';
import { createOpenAiCompatibleTextGenerator } from '../adapters/openai/openai-compatible-text-generator.js';
import { CoreError, NotFoundError } from '../errors.js';
import { createModelService } from '../models/model-service.js';
import type { Clock } from '../platform/clock.port.js';
import { createGenerationService } from './generation-service.js';
import type { GenerationParams } from './text-generator.port.js';

let dir: string;
let files: { model: string; lora: string };
let fake: FakeOpenAiServer;
const embedded = createLlamaCppTextGenerator({ threads: 1 });
const params = (extra: Partial<GenerationParams> = {}): GenerationParams => ({ prompt: 'hello world', limit: { kind: 'new', tokens: 12 }, temperature: 0, topP: 1, n: 1, ...extra });

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'yoloops-generation-'));
  files = await writeTinyGguf(dir);
  fake = await startFakeOpenAiServer({ kind: 'vllm', models: ['up-first', 'up-second'] });
});
afterAll(async () => {
  await embedded.close();
  await fake.close();
  await fsp.rm(dir, { recursive: true, force: true });
});

function steppingClock(): Clock {
  let at = Date.UTC(2025, 0, 1);
  return { now: () => new Date((at += 1000)) };
}

/** A registry on a temp data root with the tiny base (uploaded) and its adapter (trained), and the service over it. */
async function setup(options: { upstreamUrl?: string; register?: boolean } = {}) {
  const clock = steppingClock();
  const service = createModelService({ models: createMemoryModelStore(), blobs: createFsBlobStore(await fsp.mkdtemp(path.join(dir, 'data-'))), clock });
  const upstream = options.upstreamUrl === undefined ? undefined : createOpenAiCompatibleTextGenerator({ baseUrl: options.upstreamUrl, connectTimeoutMs: 500 });
  const generation = createGenerationService({ models: service, embedded, ...(upstream ? { upstream } : {}), clock });
  if (options.register === false) return { service, generation };
  const base = await service.registerLanguageModel({ files: [{ path: files.model }], name: 'tiny' });
  const adapter = await service.registerLanguageModel({ files: [{ path: files.lora }], base_model_id: base.model_id, job_id: 'job_1' });
  return { service, generation, base, adapter };
}

describe('createGenerationService', () => {
  test('a registry id, a seed 002 number and a registry path run on llama.cpp; each use is counted with its time', async () => {
    const { service, generation, base, adapter } = await setup();
    const byId = await generation.generate(base!.model_id, params());
    expect(byId.model).toMatchObject({ backend: 'llama.cpp', ref: { kind: 'gguf', id: base!.model_id, path: base!.weights_path }, model: { model_id: base!.model_id } });
    expect(byId.usage).toEqual({ prompt_tokens: 12, completion_tokens: 12, total_tokens: 24 });
    expect(byId.seconds).toBeGreaterThan(0);
    const byNumber = await generation.generate('7', params(), { byNumber: async (n) => (n === 7 ? adapter!.model_id : undefined) });
    expect(byNumber.model.ref).toEqual({ kind: 'gguf', id: adapter!.model_id, path: base!.weights_path, adapters: [{ path: adapter!.weights_path }] });
    expect(byNumber.sequences[0]!.text).not.toBe(byId.sequences[0]!.text);
    const byPath = await generation.generate(path.dirname(path.dirname(base!.weights_path)), params());
    expect(byPath.sequences[0]!.text).toBe(byId.sequences[0]!.text);
    const counted = await service.get(base!.model_id);
    expect(counted).toMatchObject({ usage_count: 2, last_used: expect.stringMatching(/^2025-01-01T00:00:\d\d\.000Z$/) });
    expect(Date.parse(counted.last_used!)).toBeGreaterThan(Date.parse(counted.created_at));
    expect((await service.get(adapter!.model_id)).usage_count).toBe(1);
  });

  test('concurrent generations lose no count; a batch counts one use per prompt and sums its seconds', async () => {
    const { service, generation, base } = await setup();
    await Promise.all(Array.from({ length: 4 }, () => generation.generate(base!.model_id, params({ limit: { kind: 'new', tokens: 3 } }))));
    expect((await service.get(base!.model_id)).usage_count).toBe(4);
    const batch = await generation.generateBatch(base!.model_id, ['a', 'b', 'c'], { limit: { kind: 'total', tokens: 10 }, temperature: 0, topP: 1, n: 2 });
    expect(batch.results.map((r) => r.sequences.length)).toEqual([2, 2, 2]);
    for (const r of batch.results) {
      // `total` 10: BOS + one byte, then at most 8 new tokens per sequence (fewer only when the model ends it).
      expect(r.usage.prompt_tokens).toBe(2);
      for (const s of r.sequences) expect(s.finish_reason === 'length' ? s.completion_tokens === 8 : s.completion_tokens < 8).toBe(true);
      expect(r.usage.total_tokens).toBe(2 + r.sequences.reduce((sum, s) => sum + s.completion_tokens, 0));
    }
    expect(batch.seconds).toBeCloseTo(batch.results.reduce((s, r) => s + r.seconds, 0), 9);
    expect((await service.get(base!.model_id)).usage_count).toBe(7);
  });

  test('no reference: the newest trained language model; without any, the upstream\'s first model; without both, a NotFoundError', async () => {
    const { generation, adapter } = await setup();
    expect((await generation.resolve(undefined)).ref.id).toBe(adapter!.model_id);
    expect((await generation.resolve('  ')).ref.id).toBe(adapter!.model_id);
    const empty = await setup({ upstreamUrl: fake.url, register: false });
    expect(await empty.generation.resolve(undefined)).toEqual({ ref: { kind: 'upstream', id: 'up-first' }, backend: 'openai-compatible' });
    const none = await setup({ register: false });
    await expectRejection(none.generation.resolve(undefined), { type: NotFoundError, reason: 'no_language_model', message: 'YOLOOPS_LLM_BASE_URL' });
  });

  test('a name the registry does not know goes to the upstream (n > 1 as parallel requests); without an upstream it is not found', async () => {
    const { generation, service } = await setup({ upstreamUrl: fake.url });
    const before = fake.completions().length;
    const out = await generation.generate('up-second', params({ n: 3, seed: 5, temperature: 0.8 }));
    expect(out.model).toEqual({ ref: { kind: 'upstream', id: 'up-second' }, backend: 'openai-compatible' });
    expect(fake.completions().length - before).toBe(3);
    expect(out.sequences.map((s) => s.text)).toEqual(fake.completions().slice(before).map((r) => fakeCompletion(r.body!).text));
    expect(out.usage.completion_tokens).toBe(36);
    expect((await service.list()).every((m) => m.usage_count === undefined)).toBe(true);
    await expectRejection(generation.generate('nope-model', params()), { type: NotFoundError, reason: 'upstream_model_not_found' });
    const local = await setup();
    await expectRejection(local.generation.generate('up-second', params()), { type: NotFoundError, reason: 'model_not_found', message: 'up-second' });
  });

  test('a model the caller may not see reads as not registered, also as the default', async () => {
    const { generation, base, adapter } = await setup();
    const onlyBase = { visible: (m: { model_id: string }) => m.model_id === base!.model_id };
    await expectRejection(generation.resolve(adapter!.model_id, onlyBase), { type: NotFoundError, reason: 'model_not_found' });
    expect((await generation.resolve(undefined, onlyBase)).ref.id).toBe(base!.model_id);
    expect((await generation.listModels(onlyBase)).registry.map((m) => m.model_id)).toEqual([base!.model_id]);
  });

  test('listModels: registry language models and the upstream\'s; an upstream that is down is noted, and generating on it is a retryable EXTERNAL_FAILURE', async () => {
    const { generation, base, adapter } = await setup({ upstreamUrl: fake.url });
    const listed = await generation.listModels();
    expect(listed.registry.map((m) => m.model_id).sort()).toEqual([base!.model_id, adapter!.model_id].sort());
    expect(listed.upstream.map((m) => m.id)).toEqual(['up-first', 'up-second']);
    const down = await fakeThatIsDown();
    const cut = await setup({ upstreamUrl: down });
    const noted = await cut.generation.listModels();
    expect(noted.registry).toHaveLength(2);
    expect(noted.upstreamError).toMatch(/unreachable \(connection refused\)/);
    const error = await expectRejection(cut.generation.generate('up-first', params()), { type: CoreError, reason: 'upstream_unavailable' });
    expect(error.code).toBe('EXTERNAL_FAILURE');
    expect(error.details.retry_after_s).toBeGreaterThan(0);
  });
});

/** The URL of a server that was just closed: its port refuses connections. */
async function fakeThatIsDown(): Promise<string> {
  const gone = await startFakeOpenAiServer({ kind: 'vllm' });
  await gone.close();
  return gone.url;
}
