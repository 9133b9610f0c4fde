import * as fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createMemoryModelStore } from '../src/adapters/memory/memory-model-store.js';
import { createLlamaCppTextGenerator } from '../src/adapters/llama-cpp/llama-cpp-text-generator.js';
import { createFsBlobStore } from '../src/adapters/fs/fs-blob-store.js';
import { createModelService } from '../src/models/model-service.js';
import { systemClock } from '../src/platform/clock.port.js';
import { writeTinyGguf } from './support/tiny-gguf.js';

let dir: string;
const generator = createLlamaCppTextGenerator({ threads: 1 });
beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'yoloops-llm-e2e-'));
});
afterAll(async () => {
  await generator.close();
  await fsp.rm(dir, { recursive: true, force: true });
});

describe('registry → resolveTextModel → llama.cpp', () => {
  test('a registered base and its LoRA adapter generate; the adapter changes the text; no id picks the newest trained one', async () => {
    const files = await writeTinyGguf(dir);
    const service = createModelService({ models: createMemoryModelStore(), blobs: createFsBlobStore(path.join(dir, 'data')), clock: systemClock });
    const base = await service.registerLanguageModel({ files: [{ path: files.model }], name: 'tiny' });
    const adapter = await service.registerLanguageModel({ files: [{ path: files.lora }], base_model_id: base.model_id, job_id: 'job_1' });
    const params = { prompt: '### 指令:\n你好\n\n### 回答:\n', limit: { kind: 'total' as const, tokens: 60 }, temperature: 0, topP: 1, n: 1 };
    const plain = await generator.generate(await service.resolveTextModel(base.model_id), params);
    const tuned = await generator.generate(await service.resolveTextModel(), params);
    expect(plain.usage.total_tokens).toBe(60);
    expect(tuned.usage).toEqual(plain.usage);
    expect(tuned.sequences[0]!.text).not.toBe(plain.sequences[0]!.text);
    expect((await service.resolveTextModel()).id).toBe(adapter.model_id);
  });
});
