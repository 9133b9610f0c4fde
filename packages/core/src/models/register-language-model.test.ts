import * as fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { zipBytes } from '../../test/support/craft-zip.js';
import { encodeGguf, tinyLlama, tinyLora, writeTinyGguf } from '../../test/support/tiny-gguf.js';
import { createMemoryModelStore } from '../adapters/memory/memory-model-store.js';
import { createFsBlobStore } from '../adapters/fs/fs-blob-store.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { systemClock } from '../platform/clock.port.js';
import { expectRejection } from '../../test/support/expect-core-error.js';
import { createModelService } from './model-service.js';

let dir: string;
let files: { model: string; lora: string };
beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'yoloops-llm-registry-'));
  files = await writeTinyGguf(dir);
});
afterAll(() => fsp.rm(dir, { recursive: true, force: true }));

async function setup() {
  const root = await fsp.mkdtemp(path.join(dir, 'data-'));
  const blobs = createFsBlobStore(root);
  const service = createModelService({ models: createMemoryModelStore(), blobs, clock: systemClock });
  return { blobs, service, root };
}

describe('registerLanguageModel', () => {
  test('registers a GGUF model from a path: text-generation, gguf weights with sha256, llm_info from the file', async () => {
    const { service, root } = await setup();
    const model = await service.registerLanguageModel({ files: [{ path: files.model }], job_id: 'job_1', metrics: { train_loss: 1.5 }, training_config: { lora_rank: 8 } });
    const bytes = await fsp.readFile(files.model);
    expect(model).toMatchObject({ task: 'text-generation', source: 'trained', classes: [], name: 'tiny-llama-1', job_id: 'job_1', metrics: { train_loss: 1.5 }, training_config: { lora_rank: 8 } });
    expect(model.weights).toEqual([{ file: 'tiny-llama.gguf', format: 'gguf', size: bytes.length, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    expect(model.weights_path).toBe(path.join(await fsp.realpath(root), 'models', model.model_id, 'weights', 'tiny-llama.gguf'));
    expect(model.llm_info).toMatchObject({ kind: 'model', architecture: 'llama', context_length: 256, embedding_length: 64, block_count: 2, vocab_size: 260, file_type_name: 'F32', tensor_count: 21 });
    expect((await fsp.readFile(model.weights_path)).equals(bytes)).toBe(true);
  });

  test('an adapter needs a registered GGUF base; it resolves to the base path with itself applied', async () => {
    const { service } = await setup();
    await expectRejection(service.registerLanguageModel({ files: [{ path: files.lora }] }), { type: ValidationError, reason: 'base_model_required', message: 'base_model_id' });
    await expectRejection(service.registerLanguageModel({ files: [{ path: files.lora }], base_model_id: 'model_nope' }), { type: NotFoundError, reason: 'base_model_missing', message: 'model_nope' });
    const base = await service.registerLanguageModel({ files: [{ path: files.model }] });
    const adapter = await service.registerLanguageModel({ files: [{ path: files.lora }], base_model_id: base.model_id, job_id: 'job_2' });
    expect(adapter).toMatchObject({ base_model_id: base.model_id, llm_info: { kind: 'adapter', adapter_type: 'lora', lora_alpha: 8 } });
    expect(await service.resolveTextModel(adapter.model_id)).toEqual({ kind: 'gguf', id: adapter.model_id, path: base.weights_path, adapters: [{ path: adapter.weights_path }] });
    expect(await service.resolveTextModel(base.weights_path)).toEqual({ kind: 'gguf', id: base.model_id, path: base.weights_path });
    // No id: the newest trained language model (the adapter, from job_2).
    expect((await service.resolveTextModel()).id).toBe(adapter.model_id);
    expect((await service.resolveTextModel(3, { byNumber: async (n) => (n === 3 ? base.model_id : undefined) })).id).toBe(base.model_id);
    await expectRejection(service.resolveTextModel('/etc/passwd'), { type: NotFoundError, reason: 'model_not_found' });
  });

  test('a truncated GGUF is refused naming the tensor, and nothing is kept', async () => {
    const { service, blobs } = await setup();
    const bytes = await fsp.readFile(files.model);
    const error = await expectRejection(service.registerLanguageModel({ files: [{ filename: 'cut.gguf', body: bytes.subarray(0, bytes.length - 1000) }] }), { type: ValidationError, reason: 'gguf_tensor_data' });
    expect(error.message).toMatch(/^cut\.gguf: GGUF tensor blk\.1\.ffn_down\.weight ends at byte \d+, past the end of the file \(\d+ bytes\)$/);
    expect(await blobs.list('models')).toEqual([]);
    expect(await service.list()).toEqual([]);
  });

  test('other files are kept as opaque data; a model without GGUF registers but cannot generate', async () => {
    const { service } = await setup();
    const model = await service.registerLanguageModel({ files: [{ filename: 'adapter_config.json', body: Buffer.from('{}') }], job_id: 'job_3' });
    expect(model.weights.map((w) => w.format)).toEqual(['data']);
    await expectRejection(service.resolveTextModel(model.model_id), { type: ValidationError, reason: 'no_gguf', message: 'convert' });
  });

  test('an ONNX detector is not a language model', async () => {
    const { service } = await setup();
    const detector = await service.register({ task: 'detect', source: 'uploaded', classes: [], weights: [{ filename: 'w.pt', body: Buffer.from('x') }] });
    await expectRejection(service.resolveTextModel(detector.model_id), { type: ValidationError, reason: 'not_language_model' });
  });
});

describe('POST /models/upload with GGUF weights', () => {
  const upload = (service: Awaited<ReturnType<typeof setup>>['service'], entries: Record<string, Buffer | string>) =>
    service.upload({ filename: 'llm.zip', body: Readable.from([zipBytes(entries)]) });

  test('model.json + weights/*.gguf registers a language model; an adapter ZIP names its base in model.json', async () => {
    const { service } = await setup();
    const base = await upload(service, { 'model.json': JSON.stringify({ name: 'tiny', task: 'ignored' }), 'weights/tiny.gguf': await fsp.readFile(files.model) });
    expect(base).toMatchObject({ name: 'tiny', task: 'text-generation', source: 'uploaded', source_file: 'llm.zip', llm_info: { kind: 'model' } });
    const lora = tinyLora();
    const adapter = await upload(service, { 'model.json': JSON.stringify({ base_model_id: base.model_id }), 'weights/lora.gguf': encodeGguf(lora.metadata, lora.tensors) });
    expect(adapter).toMatchObject({ base_model_id: base.model_id, llm_info: { kind: 'adapter' } });
  });

  test.each([
    { given: 'garbage', bytes: Buffer.from('not a model at all, just text'), want: /^bad\.gguf: not a GGUF file: it starts with bytes 6E 6F 74 20, not "GGUF"/ },
    { given: 'header only', bytes: encodeGguf(tinyLlama().metadata, tinyLlama().tensors, { headerOnly: true }), want: /^bad\.gguf: GGUF tensor token_embd\.weight ends at byte \d+, past the end of the file \(\d+ bytes\)$/ },
  ])('a $given .gguf is a ValidationError naming the problem, and no model is kept', async ({ bytes, want }) => {
    const { service, blobs } = await setup();
    const error = await upload(service, { 'weights/bad.gguf': bytes }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(want);
    expect(await service.list()).toEqual([]);
    expect((await blobs.list('')).filter((k) => !k.startsWith('tmp/'))).toEqual([]);
  });
});
