import * as fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { zipFiles } from '../../../test/support/fixtures.js';
import { writeTinyGguf } from '../../core/test/support/tiny-gguf.js';
import { startAuthServer, type AuthServer } from './support/auth.js';

// With auth required, a member generates only with the language models it may see (its own, its
// projects'); another member's model reads as an unregistered one on every generation route.

let s: AuthServer;
let dir: string;
let alice: { id: number; token: string };
let bob: { id: number; token: string };
let aliceModel: string;

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'yoloops-generation-tenancy-'));
  const files = await writeTinyGguf(dir);
  s = await startAuthServer({ generation: { llama: { threads: 1 } } });
  alice = await s.member('alice');
  bob = await s.member('bob');
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(await zipFiles({ 'model.json': '{"name":"alice llm"}', 'weights/tiny.gguf': readFileSync(files.model) }))]), 'llm.zip');
  const res = await fetch(`${s.url}/models/upload`, { method: 'POST', body: form, headers: { authorization: `Bearer ${alice.token}` } });
  expect(res.status).toBe(200);
  aliceModel = ((await res.json()) as { model_id: string }).model_id;
});
afterAll(async () => {
  await s?.close();
  await fsp.rm(dir, { recursive: true, force: true });
});

describe('generation and who may use a model', () => {
  test('the owner and an admin generate with it; another member gets the 404 of an unknown model on both seeds\' routes', async () => {
    const body = { prompt: 'hi', model_path: aliceModel, max_length: 6 };
    for (const token of [alice.token, s.adminToken]) {
      const ok = await s.call('POST', '/api/v1/generate', { token, json: body });
      expect(ok.status, ok.text).toBe(200);
    }
    const hidden = await s.call('POST', '/api/v1/generate', { token: bob.token, json: body });
    const unknown = await s.call('POST', '/api/v1/generate', { token: bob.token, json: { ...body, model_path: 'model_nobody_has' } });
    expect([hidden.status, unknown.status]).toEqual([404, 404]);
    expect((hidden.json as { error: { message: string } }).error.message).toBe(`language model ${JSON.stringify(aliceModel)} is not registered`);
    const s002 = await s.call('POST', '/api/v1/inference/generate', { token: bob.token, json: { model_id: aliceModel, prompt: 'hi' } });
    expect(s002.status).toBe(404);
  });

  test('another member lists none of it and has no default model; its owner\'s default is its own', async () => {
    const listed = await s.call('GET', '/api/v1/inference/models', { token: bob.token });
    expect((listed.json as { models: unknown[] }).models).toEqual([]);
    const none = await s.call('POST', '/api/v1/generate', { token: bob.token, json: { prompt: 'hi' } });
    expect(none.status).toBe(404);
    expect((none.json as { error: { reason: string } }).error.reason).toBe('no_language_model');
    const own = await s.call('POST', '/api/v1/generate', { token: alice.token, json: { prompt: 'hi', max_length: 4 } });
    expect((own.json as { model_id: string }).model_id).toBe(aliceModel);
  });
});
