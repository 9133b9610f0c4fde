import { readFileSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fixturePath, zipFiles } from '../../../test/support/fixtures.js';
import { encodeGguf, tinyLlama, writeTinyGguf } from '../../core/test/support/tiny-gguf.js';
import { startPlatformServer, type PlatformServer } from './support/model-fixtures.js';

// Issue 11: GGUF language models enter the registry through POST /models/upload (model.json +
// weights/*.gguf), checked before they are accepted; a broken GGUF is a 4xx naming the problem.

let server: PlatformServer;
let dir: string;
let files: { model: string; lora: string };
beforeAll(async () => {
  server = await startPlatformServer();
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'yoloops-gguf-upload-'));
  files = await writeTinyGguf(dir);
});
afterAll(async () => {
  await server?.close();
  await fsp.rm(dir, { recursive: true, force: true });
});

async function upload(zip: Buffer) {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(zip)]), 'llm.zip');
  const res = await fetch(`${server.url}/models/upload`, { method: 'POST', body: form });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> & { detail: string } };
}

describe('POST /models/upload with weights/*.gguf', () => {
  const tiny = () => readFileSync(files.model);
  const cases: [string, () => Buffer, RegExp][] = [
    ['a truncated GGUF', () => tiny().subarray(0, tiny().length - 100), /^m\.gguf: GGUF tensor blk\.1\.ffn_down\.weight ends at byte \d+, past the end of the file/],
    ['garbage named .gguf', () => Buffer.from('definitely not a model'), /^m\.gguf: not a GGUF file/],
    ['a header without tensor data', () => encodeGguf(tinyLlama().metadata, tinyLlama().tensors, { headerOnly: true }), /^m\.gguf: GGUF tensor token_embd\.weight ends at byte/],
    ['an adapter without base_model_id', () => readFileSync(files.lora), /base_model_id/],
  ];
  test.each(cases)('%s → 4xx naming the problem; nothing kept; server healthy', async (_label, make, message) => {
    const res = await upload(await zipFiles({ 'weights/m.gguf': make() }));
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.json.detail).toMatch(message);
    expect((await server.platform.models.list()).length).toBe(0);
    expect(await server.platform.blobs.list('models')).toEqual([]);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  test('a GGUF model and its adapter register with llm_info; detection on them is a 4xx, not a crash', async () => {
    const base = await upload(await zipFiles({ 'model.json': JSON.stringify({ name: 'tiny llama' }), 'weights/tiny.gguf': readFileSync(files.model) }));
    expect(base.status).toBe(200);
    expect(base.json).toMatchObject({ name: 'tiny llama', task: 'text-generation', llm_info: { kind: 'model', architecture: 'llama', vocab_size: 260 } });
    const adapter = await upload(await zipFiles({ 'model.json': JSON.stringify({ base_model_id: base.json.model_id }), 'weights/lora.gguf': readFileSync(files.lora) }));
    expect(adapter.status).toBe(200);
    expect(adapter.json).toMatchObject({ base_model_id: base.json.model_id, llm_info: { kind: 'adapter', adapter_type: 'lora' } });
    const infer = new FormData();
    infer.append('file', new Blob([new Uint8Array(readFileSync(fixturePath('images/bus.jpg')))]), 'bus.jpg');
    const answer = await fetch(`${server.url}/infer/${String(base.json.model_id)}`, { method: 'POST', body: infer });
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
  });
});
