import { createServer } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { CoreError, NotFoundError, UnsupportedError, ValidationError } from '../../errors.js';
import type { GenerationParams, TextModelRef } from '../../generation/text-generator.port.js';
import { expectRejection } from '../../../test/support/expect-core-error.js';
import { fakeCompletion, fakeTokenCount, startFakeOpenAiServer, type FakeOpenAiServer, type FakeOpenAiServerOptions } from '../../../test/support/fake-openai-server.js';
import { createOpenAiCompatibleTextGenerator, type OpenAiCompatibleTextGenerator } from './openai-compatible-text-generator.js';
import type { OpenAiCompatibleTextGeneratorOptions } from './openai-upstream-options.js';
import { sequenceSeed } from './upstream-completions.js';

const model: TextModelRef = { kind: 'upstream', id: 'tiny-llm' };
const params = (more: Partial<GenerationParams> = {}): GenerationParams => ({ prompt: 'Hello there', limit: { kind: 'new', tokens: 8 }, temperature: 0.7, topP: 0.9, seed: 42, n: 1, ...more });

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function upstream(server: FakeOpenAiServerOptions, options: Partial<OpenAiCompatibleTextGeneratorOptions> = {}): Promise<{ fake: FakeOpenAiServer; llm: OpenAiCompatibleTextGenerator }> {
  const fake = await startFakeOpenAiServer(server);
  cleanups.push(() => fake.close());
  const llm = createOpenAiCompatibleTextGenerator({ baseUrl: `${fake.url}/v1`, ...options });
  cleanups.push(() => llm.close());
  return { fake, llm };
}

describe('createOpenAiCompatibleTextGenerator', () => {
  test('lists the upstream models from GET /v1/models and detects the server from owned_by', async () => {
    const { llm, fake } = await upstream({ kind: 'vllm', models: ['tiny-llm', 'other'] });
    expect(await llm.listModels()).toEqual([
      { id: 'tiny-llm', owned_by: 'vllm', created: 1700000000 },
      { id: 'other', owned_by: 'vllm', created: 1700000000 },
    ]);
    expect(await llm.serverKind()).toBe('vllm');
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v1/models', 'GET /v1/models']);
  });

  test.each([
    ['vllm', 'vllm'], ['llama.cpp', 'llama.cpp'], ['ollama', 'ollama'], ['tgi', 'tgi'], ['generic', 'generic'],
  ] as const)('detects a %s server', async (kind, want) => {
    const { llm } = await upstream({ kind });
    expect(await llm.serverKind()).toBe(want);
  });

  test('n = 3 sends 3 parallel requests with distinct derived seeds, never n, and sums the usage', async () => {
    const { llm, fake } = await upstream({ kind: 'vllm', barrier: 3 });
    const out = await llm.generate(model, params({ n: 3 }));
    const bodies = fake.completions().map((r) => r.body!);
    expect(bodies).toHaveLength(3);
    expect(bodies.every((b) => !('n' in b))).toBe(true);
    expect(new Set(bodies.map((b) => b.seed))).toEqual(new Set([42, sequenceSeed(42, 1), sequenceSeed(42, 2)]));
    const texts = out.sequences.map((s) => s.text);
    expect(new Set(texts).size).toBe(3);
    expect(texts).toEqual([42, sequenceSeed(42, 1), sequenceSeed(42, 2)].map((seed) => fakeCompletion({ ...bodies[0], seed }).text));
    expect(out.usage).toEqual({ prompt_tokens: fakeTokenCount('Hello there'), completion_tokens: 24, total_tokens: fakeTokenCount('Hello there') + 24 });
    expect(out.sequences.map((s) => s.finish_reason)).toEqual(['length', 'length', 'length']);
  });

  test('the same seed gives the same sequences again', async () => {
    const { llm } = await upstream({ kind: 'generic' });
    const first = await llm.generate(model, params({ n: 2 }));
    const again = await llm.generate(model, params({ n: 2 }));
    expect(again.sequences).toEqual(first.sequences);
  });

  test('sends only the portable parameters, and maps stop / eos_token finish reasons', async () => {
    const { llm, fake } = await upstream({ kind: 'tgi' });
    const out = await llm.generate(model, params({ prompt: 'a short one', stop: ['zz'], topK: 40 }));
    expect(fake.completions()[0]!.body).toEqual({ model: 'tiny-llm', prompt: 'a short one', max_tokens: 8, temperature: 0.7, top_p: 0.9, seed: 42, stop: ['zz'] });
    expect(out.sequences[0]).toMatchObject({ finish_reason: 'stop', completion_tokens: 3 });
  });

  test.each([
    ['vllm', 'auto', true], ['llama.cpp', 'auto', true], ['ollama', 'auto', false], ['tgi', 'auto', false], ['generic', 'auto', false],
    ['ollama', 'send', true], ['vllm', 'omit', false],
  ] as const)('top_k to a %s server with topK %s: sent = %s', async (kind, topK, sent) => {
    const { llm, fake } = await upstream({ kind }, { topK });
    await llm.generate(model, params({ topK: 20 }));
    expect(fake.completions()[0]!.body!.top_k).toBe(sent ? 20 : undefined);
  });

  test('a fixed server kind skips the /v1/models probe', async () => {
    const { llm, fake } = await upstream({ kind: 'vllm' }, { server: 'llama.cpp' });
    await llm.generate(model, params({ topK: 5 }));
    expect(fake.requests.map((r) => r.path)).toEqual(['/v1/completions']);
  });

  test('a total limit on vLLM counts the prompt with POST /tokenize and asks for the rest', async () => {
    const { llm, fake } = await upstream({ kind: 'vllm' });
    const prompt = 'Hello there';
    const out = await llm.generate(model, params({ prompt, limit: { kind: 'total', tokens: 20 } }));
    const tokenize = fake.requests.find((r) => r.path === '/tokenize')!;
    expect(tokenize.body).toEqual({ model: 'tiny-llm', prompt, add_special_tokens: true });
    expect(fake.completions()[0]!.body!.max_tokens).toBe(20 - fakeTokenCount(prompt));
    expect(out.usage.total_tokens).toBe(20);
  });

  test('a total limit on llama.cpp server tokenizes {content, add_special}', async () => {
    const { llm, fake } = await upstream({ kind: 'llama.cpp' });
    await llm.generate(model, params({ prompt: '你好', limit: { kind: 'total', tokens: 10 } }));
    expect(fake.requests.find((r) => r.path === '/tokenize')!.body).toEqual({ content: '你好', add_special: true });
    expect(fake.completions()[0]!.body!.max_tokens).toBe(10 - fakeTokenCount('你好'));
  });

  test('without a tokenizer endpoint a max_tokens: 1 completion counts the prompt', async () => {
    const { llm, fake } = await upstream({ kind: 'ollama' });
    const out = await llm.generate(model, params({ limit: { kind: 'total', tokens: 15 } }));
    const [probe, real] = fake.completions();
    expect(probe!.body).toMatchObject({ max_tokens: 1, temperature: 0 });
    expect(real!.body!.max_tokens).toBe(15 - fakeTokenCount('Hello there'));
    expect(out.usage.total_tokens).toBe(15);
    expect(fake.requests.some((r) => r.path === '/tokenize')).toBe(false);
  });

  test('a /tokenize that answers 404 falls back to the completion count, and is not asked again', async () => {
    const { llm, fake } = await upstream({ kind: 'vllm', tokenize: false });
    expect(await llm.countTokens(model, 'abc')).toBe(fakeTokenCount('abc'));
    expect(await llm.countTokens(model, 'abcdef')).toBe(fakeTokenCount('abcdef'));
    expect(fake.requests.filter((r) => r.path === '/tokenize')).toHaveLength(1);
    expect(fake.completions().map((r) => r.body!.max_tokens)).toEqual([1, 1]);
  });

  test('a prompt that fills the total limit generates nothing and makes no completion call', async () => {
    const { llm, fake } = await upstream({ kind: 'vllm' });
    const out = await llm.generate(model, params({ prompt: 'Hello there', limit: { kind: 'total', tokens: fakeTokenCount('Hello there') }, n: 2 }));
    expect(out.sequences).toEqual([{ text: '', finish_reason: 'length', completion_tokens: 0 }, { text: '', finish_reason: 'length', completion_tokens: 0 }]);
    expect(out.usage).toEqual({ prompt_tokens: fakeTokenCount('Hello there'), completion_tokens: 0, total_tokens: fakeTokenCount('Hello there') });
    expect(fake.completions()).toHaveLength(0);
  });

  test('countTokens uses the tokenizer endpoint', async () => {
    const { llm } = await upstream({ kind: 'vllm' });
    expect(await llm.countTokens(model, 'héllo')).toBe(fakeTokenCount('héllo'));
  });

  test.each(['\n', '\r\n'] as const)('stream() yields the same text as generate() (SSE lines ending %j, split across writes)', async (lineEnding) => {
    const { llm, fake } = await upstream({ kind: 'vllm', lineEnding });
    const pieces = [];
    for await (const piece of llm.stream(model, params())) pieces.push(piece);
    expect(fake.completions()[0]!.body!.stream).toBe(true);
    expect(pieces.map((p) => p.text).join('')).toBe((await llm.generate(model, params())).sequences[0]!.text);
    expect(pieces.at(-1)!.finish_reason).toBe('length');
    expect(pieces.slice(0, -1).every((p) => p.finish_reason === undefined)).toBe(true);
  });

  test('stopping a stream early closes the upstream request', async () => {
    const { llm, fake } = await upstream({ kind: 'vllm', handle: (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify({ choices: [{ text: 'a', finish_reason: null }] })}\n\n`);
      return true; // and never ends
    } }, { server: 'vllm' });
    for await (const piece of llm.stream(model, params())) {
      expect(piece.text).toBe('a');
      break;
    }
    await expect.poll(() => fake.requests[0]!.closedEarly).toBe(true);
  });

  test('aborting a stream rejects with the reason; a connection lost mid-stream is upstream_unavailable', async () => {
    let cut = false;
    const { llm, fake } = await upstream({ kind: 'vllm', handle: (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify({ choices: [{ text: 'a', finish_reason: null }] })}\n\n`);
      if (cut) setTimeout(() => res.socket?.destroy(), 20);
      return true;
    } }, { server: 'vllm' });
    const controller = new AbortController();
    const read = async (signal?: AbortSignal) => {
      for await (const piece of llm.stream(model, params(signal === undefined ? {} : { signal }))) if (signal) controller.abort(new Error('stop now'));
    };
    await expect(read(controller.signal)).rejects.toThrow('stop now');
    await expect.poll(() => fake.requests[0]!.closedEarly).toBe(true);
    cut = true;
    await expectRejection(read(), { type: CoreError, reason: 'upstream_unavailable', message: fake.url });
  });

  test('a stream that ends without finishing is an EXTERNAL_FAILURE', async () => {
    const { llm } = await upstream({ kind: 'vllm', handle: (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`data: ${JSON.stringify({ choices: [{ text: 'a', finish_reason: null }] })}\n\n`);
      return true;
    } }, { server: 'vllm' });
    const read = async () => {
      for await (const piece of llm.stream(model, params())) void piece;
    };
    await expectRejection(read(), { type: CoreError, reason: 'upstream_bad_response', message: 'ended before the completion finished' });
  });

  test('sends the API key as a Bearer token; a wrong key is upstream_auth and the key is never in the message', async () => {
    const { llm, fake } = await upstream({ kind: 'vllm', apiKey: 'sk-secret-1' }, { apiKey: 'sk-secret-1' });
    await llm.generate(model, params());
    expect(fake.requests.every((r) => r.headers.authorization === 'Bearer sk-secret-1')).toBe(true);
    const wrong = createOpenAiCompatibleTextGenerator({ baseUrl: fake.url, apiKey: 'sk-wrong-2' });
    cleanups.push(() => wrong.close());
    const error = await expectRejection(wrong.generate(model, params()), { type: CoreError, reason: 'upstream_auth', message: 'YOLOOPS_LLM_API_KEY' });
    expect(JSON.stringify({ message: error.message, details: error.details })).not.toContain('sk-wrong-2');
  });

  test('sends no Authorization header without a key', async () => {
    const { llm, fake } = await upstream({ kind: 'generic' });
    await llm.generate(model, params());
    expect(fake.requests.every((r) => r.headers.authorization === undefined)).toBe(true);
  });

  test('an unknown model is a NotFoundError naming it', async () => {
    const { llm } = await upstream({ kind: 'vllm' }, { server: 'vllm' });
    const error = await expectRejection(llm.generate({ kind: 'upstream', id: 'nope' }, params()), { type: NotFoundError, reason: 'upstream_model_not_found', entry: 'nope' });
    expect(error.details).toMatchObject({ model: 'nope', status: 404 });
  });

  test('an upstream 400 is a ValidationError carrying the upstream message', async () => {
    const { llm } = await upstream({ kind: 'vllm', handle: (_req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'error', message: "This model's maximum context length is 4096 tokens", type: 'BadRequestError', code: 400 }));
      return true;
    } }, { server: 'vllm' });
    await expectRejection(llm.generate(model, params()), { type: ValidationError, reason: 'upstream_rejected', message: 'maximum context length is 4096 tokens' });
  });

  test('an upstream that is down is EXTERNAL_FAILURE naming its URL, with a retry hint', async () => {
    const port = await closedPort();
    const llm = createOpenAiCompatibleTextGenerator({ baseUrl: `http://127.0.0.1:${port}/v1`, apiKey: 'sk-hidden' });
    cleanups.push(() => llm.close());
    const error = await expectRejection(llm.generate(model, params()), { type: CoreError, reason: 'upstream_unavailable', message: `http://127.0.0.1:${port}/v1` });
    expect(error.code).toBe('EXTERNAL_FAILURE');
    expect(error.details).toMatchObject({ retry_after_s: 5, errno: 'ECONNREFUSED' });
    expect(error.message).toContain('connection refused');
    expect(error.message).not.toContain('sk-hidden');
  });

  test.each([
    [500, undefined, 'upstream_error', 5],
    [503, '7', 'upstream_busy', 7],
    [429, '2', 'upstream_busy', 2],
  ] as const)('an upstream %i is EXTERNAL_FAILURE (Retry-After %s)', async (status, retryAfter, reason, wait) => {
    const { llm } = await upstream({ kind: 'vllm', handle: (_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json', ...(retryAfter === undefined ? {} : { 'retry-after': retryAfter }) });
      res.end(JSON.stringify({ error: { message: 'CUDA out of memory' } }));
      return true;
    } }, { server: 'vllm' });
    const error = await expectRejection(llm.generate(model, params()), { type: CoreError, reason, message: 'CUDA out of memory' });
    expect(error.details).toMatchObject({ status, retry_after_s: wait });
  });

  test.each([
    ['garbage JSON', '{"choices": [', 'did not answer JSON'],
    ['a wrong shape', JSON.stringify({ choices: [{ text: 5 }], usage: { prompt_tokens: 1, completion_tokens: 1 } }), 'choices.0.text'],
    ['no usage', JSON.stringify({ choices: [{ text: 'x', finish_reason: 'stop' }] }), 'usage'],
  ])('%s is upstream_bad_response naming it', async (_name, body, message) => {
    const { llm } = await upstream({ kind: 'vllm', handle: (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
      return true;
    } }, { server: 'vllm' });
    await expectRejection(llm.generate(model, params()), { type: CoreError, reason: 'upstream_bad_response', message });
  });

  test.each([true, false])('a body over the cap is upstream_too_large (content-length declared: %s)', async (declared) => {
    const huge = Buffer.alloc(64 * 1024, 'x');
    const { llm } = await upstream({ kind: 'vllm', handle: (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', ...(declared ? { 'content-length': huge.length } : {}) });
      res.end(huge);
      return true;
    } }, { server: 'vllm', maxResponseBytes: 4096 });
    await expectRejection(llm.generate(model, params()), { type: CoreError, reason: 'upstream_too_large', message: 'over 4096 bytes' });
  });

  test('a stream event over the cap is upstream_too_large', async () => {
    const { llm } = await upstream({ kind: 'vllm', handle: (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`data: ${'x'.repeat(10_000)}`);
      return true;
    } }, { server: 'vllm', maxResponseBytes: 4096 });
    const read = async () => {
      for await (const piece of llm.stream(model, params())) void piece;
    };
    await expectRejection(read(), { type: CoreError, reason: 'upstream_too_large' });
  });

  test('an aborted signal rejects with its reason and closes the upstream request', async () => {
    const { llm, fake } = await upstream({ kind: 'vllm', handle: () => true /* hangs */ }, { server: 'vllm' });
    const controller = new AbortController();
    const pending = llm.generate(model, params({ n: 2, signal: controller.signal }));
    await expect.poll(() => fake.completions().length).toBe(2);
    controller.abort(new Error('client went away'));
    await expect(pending).rejects.toThrow('client went away');
    await expect.poll(() => fake.completions().every((r) => r.closedEarly)).toBe(true);
  });

  test('an upstream that never answers is upstream_timeout', async () => {
    const { llm } = await upstream({ kind: 'vllm', handle: () => true }, { server: 'vllm', timeoutMs: 200 });
    await expectRejection(llm.generate(model, params()), { type: CoreError, reason: 'upstream_timeout', message: 'timed out waiting for its answer' });
  });

  test('requests past the concurrency and queue limits are refused as busy with a retry hint', async () => {
    const { llm, fake } = await upstream({ kind: 'vllm', handle: () => true }, { server: 'vllm', maxConcurrentRequests: 1, maxQueuedRequests: 1 });
    const controller = new AbortController();
    const held = [llm.generate(model, params({ signal: controller.signal })), llm.generate(model, params({ signal: controller.signal }))];
    await expect.poll(() => fake.completions().length).toBe(1); // the second waits in the pool's queue
    const error = await expectRejection(llm.generate(model, params()), { type: CoreError, reason: 'busy' });
    expect(error.details).toMatchObject({ retry_after_s: 1 });
    controller.abort();
    await Promise.allSettled(held);
  });

  test('a registry GGUF model is not an upstream model', async () => {
    const { llm } = await upstream({ kind: 'vllm' });
    await expectRejection(llm.generate({ kind: 'gguf', id: 'm1', path: '/tmp/m.gguf' }, params()), { type: UnsupportedError, reason: 'not_an_upstream_model', entry: 'm1' });
  });

  test('the server-root form of the base URL reaches the same API', async () => {
    const fake = await startFakeOpenAiServer({ kind: 'vllm' });
    cleanups.push(() => fake.close());
    const llm = createOpenAiCompatibleTextGenerator({ baseUrl: `${fake.url}/` });
    cleanups.push(() => llm.close());
    expect(llm.url).toBe(`${fake.url}/v1`);
    expect((await llm.generate(model, params())).sequences).toHaveLength(1);
  });
});

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
