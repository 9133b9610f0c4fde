// Child process of generation-lazy-load.test.ts: starts the real server, reports the native libraries
// loaded before and after the first generation (process.report's sharedObjects), then exits.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer } from '@yoloops/server-express';
import { zipFiles } from '../../../../test/support/fixtures.js';
import { writeTinyGguf } from '../../../core/test/support/tiny-gguf.js';

const llamaLibraries = () => (process.report.getReport() as { sharedObjects: string[] }).sharedObjects.filter((lib) => /llama|ggml/i.test(path.basename(lib)));

const dir = mkdtempSync(path.join(tmpdir(), 'yoloops-lazy-llama-'));
const server = await startServer({ port: 0, host: '127.0.0.1', dataDir: path.join(dir, 'data'), warn: () => {}, generation: { llama: { threads: 1 } } });
try {
  for (const route of ['/health', '/api/v1/models', '/api/v1/inference/models']) if (!(await fetch(server.url + route)).ok) throw new Error(`${route} failed`);
  const before = llamaLibraries();
  const files = await writeTinyGguf(dir);
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(await zipFiles({ 'weights/tiny.gguf': readFileSync(files.model) }))]), 'tiny.zip');
  const model = (await (await fetch(`${server.url}/models/upload`, { method: 'POST', body: form })).json()) as { model_id: string };
  const generated = await fetch(`${server.url}/api/v1/generate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'hi', model_path: model.model_id, max_length: 8 }) });
  process.stdout.write(`${JSON.stringify({ before, status: generated.status, after: llamaLibraries() })}\n`);
} finally {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
