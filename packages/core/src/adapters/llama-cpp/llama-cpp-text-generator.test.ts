import * as fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { encodeGguf, tinyLlama, tinyLora, writeTinyGguf } from '../../../test/support/tiny-gguf.js';
import { CoreError, ValidationError } from '../../errors.js';
import type { GenerationParams, TextModelRef } from '../../generation/text-generator.port.js';
import { createLlamaCppTextGenerator } from './llama-cpp-text-generator.js';

let dir: string;
let base: TextModelRef & { kind: 'gguf' };
let withLora: TextModelRef & { kind: 'gguf' };
const generator = createLlamaCppTextGenerator({ threads: 1, maxConcurrent: 2 });
const params = (extra: Partial<GenerationParams> = {}): GenerationParams => ({ prompt: 'hello world', limit: { kind: 'new', tokens: 24 }, temperature: 0, topP: 1, n: 1, ...extra });

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'yoloops-llama-'));
  const files = await writeTinyGguf(dir);
  base = { kind: 'gguf', id: 'base', path: files.model };
  withLora = { kind: 'gguf', id: 'lora', path: files.model, adapters: [{ path: files.lora }] };
});
afterAll(async () => {
  await generator.close();
  await fsp.rm(dir, { recursive: true, force: true });
});

describe('createLlamaCppTextGenerator on the tiny llama GGUF', () => {
  test('the same seed gives the same text; another seed another', async () => {
    const sampled = params({ temperature: 0.9, topP: 0.95, topK: 50, seed: 42, limit: { kind: 'new', tokens: 32 } });
    const a = await generator.generate(base, sampled);
    const b = await generator.generate(base, sampled);
    const c = await generator.generate(base, { ...sampled, seed: 43 });
    expect(b.sequences[0]!.text).toBe(a.sequences[0]!.text);
    expect(c.sequences[0]!.text).not.toBe(a.sequences[0]!.text);
  });

  test('temperature 0 is greedy: the seed does not matter', async () => {
    const a = await generator.generate(base, params({ seed: 1 }));
    const b = await generator.generate(base, params({ seed: 2 }));
    expect(b.sequences[0]!.text).toBe(a.sequences[0]!.text);
  });

  test('`new` limits the generated tokens exactly; usage is the tokenizer\'s (bytes + ▁ for spaces + BOS)', async () => {
    const out = await generator.generate(base, params({ limit: { kind: 'new', tokens: 17 } }));
    expect(out.sequences[0]).toMatchObject({ finish_reason: 'length', completion_tokens: 17 });
    expect(out.usage).toEqual({ prompt_tokens: 12, completion_tokens: 17, total_tokens: 29 });
    expect(await generator.countTokens(base, 'hello world')).toBe(12);
    expect(await generator.countTokens(base, '你好')).toBe(7);
  });

  test('`total` counts the prompt: prompt + new = the limit; a prompt that fills it generates nothing', async () => {
    const out = await generator.generate(base, params({ limit: { kind: 'total', tokens: 20 } }));
    expect(out.usage).toEqual({ prompt_tokens: 12, completion_tokens: 8, total_tokens: 20 });
    const full = await generator.generate(base, params({ limit: { kind: 'total', tokens: 12 } }));
    expect(full.sequences).toEqual([{ text: '', finish_reason: 'length', completion_tokens: 0 }]);
  });

  test('the LoRA adapter changes the output of the same base', async () => {
    const plain = await generator.generate(base, params());
    const adapted = await generator.generate(withLora, params());
    expect(adapted.sequences[0]!.completion_tokens).toBe(24);
    expect(adapted.sequences[0]!.text).not.toBe(plain.sequences[0]!.text);
  });

  test('n sequences: seeds seed, seed+1, …; usage sums the completions', async () => {
    const out = await generator.generate(base, params({ n: 3, temperature: 1, seed: 7, limit: { kind: 'new', tokens: 10 } }));
    expect(out.sequences).toHaveLength(3);
    expect(new Set(out.sequences.map((s) => s.text)).size).toBe(3);
    expect(out.usage.completion_tokens).toBe(out.sequences.reduce((n, s) => n + s.completion_tokens, 0));
    const second = await generator.generate(base, params({ n: 1, temperature: 1, seed: 8, limit: { kind: 'new', tokens: 10 } }));
    expect(second.sequences[0]!.text).toBe(out.sequences[1]!.text);
  });

  test('a stop string ends the sequence before it', async () => {
    const { text } = (await generator.generate(base, params({ limit: { kind: 'new', tokens: 40 } }))).sequences[0]!;
    const at = [...text].findIndex((ch, i) => i > 2 && ch !== '\uFFFD');
    const stop = [...text][at]!;
    const out = await generator.generate(base, params({ limit: { kind: 'new', tokens: 40 }, stop: [stop] }));
    expect(out.sequences[0]!.finish_reason).toBe('stop');
    expect(out.sequences[0]!.text).toBe(text.slice(0, text.indexOf(stop)));
  });

  test('stream yields the text of one sequence, then its finish reason; aborting stops it', async () => {
    const whole = (await generator.generate(base, params())).sequences[0]!.text;
    let streamed = '';
    let finish: string | undefined;
    for await (const chunk of generator.stream!(base, params())) {
      streamed += chunk.text;
      finish = chunk.finish_reason ?? finish;
    }
    expect(streamed).toBe(whole);
    expect(finish).toBe('length');
    const controller = new AbortController();
    const stream = generator.stream!(base, { ...params({ limit: { kind: 'new', tokens: 200 } }), signal: controller.signal });
    await expect((async () => { for await (const _ of stream) controller.abort(); })()).rejects.toMatchObject({ name: 'AbortError' });
    await expect(generator.generate(base, { ...params(), signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
  });

  test('past the admission limit a generation is a busy error with retry_after_s', async () => {
    const small = createLlamaCppTextGenerator({ threads: 1, maxConcurrent: 1, maxQueue: 1 });
    try {
      const running = [small.generate(base, params()), small.generate(base, params())];
      const refused = await small.generate(base, params()).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(CoreError);
      expect(refused).toMatchObject({ code: 'EXTERNAL_FAILURE', reason: 'busy', details: { retry_after_s: 1 } });
      expect((await Promise.all(running)).map((o) => o.usage.completion_tokens)).toEqual([24, 24]);
    } finally {
      await small.close();
    }
  });

  test('a file the GGUF reader refuses never reaches llama.cpp; one llama.cpp cannot load is a ValidationError naming it; the process goes on', async () => {
    const bytes = await fsp.readFile(base.path);
    const cut = path.join(dir, 'cut.gguf');
    await fsp.writeFile(cut, bytes.subarray(0, bytes.length - 64));
    const refused = await generator.generate({ kind: 'gguf', id: 'cut', path: cut }, params()).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ValidationError);
    expect(refused).toMatchObject({ reason: 'gguf_tensor_data', message: expect.stringMatching(/^cut\.gguf: GGUF tensor blk\.1\.ffn_down\.weight ends at byte/) });
    const alien = tinyLlama();
    alien.metadata['general.architecture'] = 'no-such-architecture';
    const unknown = path.join(dir, 'alien.gguf');
    await fsp.writeFile(unknown, encodeGguf(alien.metadata, alien.tensors));
    const failed = await generator.generate({ kind: 'gguf', id: 'alien', path: unknown }, params()).catch((e: unknown) => e);
    expect(failed).toMatchObject({ reason: 'model_load_failed', message: expect.stringMatching(/^alien\.gguf \(a GGUF model of architecture no-such-architecture\): llama.cpp could not load it: /) });
    const lora = tinyLora(7, { embd: 32, layers: 2, ff: 64, heads: 4, context: 256 });
    const misfit = path.join(dir, 'misfit.gguf');
    await fsp.writeFile(misfit, encodeGguf(lora.metadata, lora.tensors));
    const mismatched = await generator.generate({ ...base, id: 'misfit', adapters: [{ path: misfit }] }, params()).catch((e: unknown) => e);
    expect(mismatched).toMatchObject({ reason: 'model_load_failed', message: expect.stringMatching(/^misfit\.gguf \(a GGUF adapter of architecture llama\): llama.cpp could not load it: /) });
    expect((await generator.generate(base, params())).usage.completion_tokens).toBe(24);
  });

  test('models are kept LRU: past maxModels the idle least recently used one is freed, and reloads when asked again', async () => {
    const lru = createLlamaCppTextGenerator({ threads: 1, maxModels: 1 });
    try {
      const other = path.join(dir, 'other.gguf');
      const second = tinyLlama(2);
      await fsp.writeFile(other, encodeGguf(second.metadata, second.tensors));
      const first = await lru.generate(base, params());
      expect(lru.loadedModels).toBe(1);
      const fromOther = await lru.generate({ kind: 'gguf', id: 'other', path: other }, params());
      expect(lru.loadedModels).toBe(1);
      expect(fromOther.sequences[0]!.text).not.toBe(first.sequences[0]!.text);
      expect((await lru.generate(base, params())).sequences[0]!.text).toBe(first.sequences[0]!.text);
      expect(lru.loadedModels).toBe(1);
    } finally {
      await lru.close();
    }
  });

  test('bad parameters are ValidationErrors naming them; an upstream model is not run here', async () => {
    await expect(generator.generate(base, params({ n: 0 }))).rejects.toMatchObject({ reason: 'invalid_generation_params', message: expect.stringContaining('n must be') });
    await expect(generator.generate(base, params({ topP: 0 }))).rejects.toMatchObject({ message: expect.stringContaining('top_p') });
    await expect(generator.generate({ kind: 'upstream', id: 'gpt' }, params())).rejects.toMatchObject({ code: 'UNSUPPORTED' });
  });
});
