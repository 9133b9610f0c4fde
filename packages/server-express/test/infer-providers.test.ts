import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { hasCudaProvider } from '../../core/test/support/onnxruntime-install.js';
import { fixturePath } from '../../../test/support/fixtures.js';
import { FIXTURE_ONNX, startPlatformServer, type PlatformServer } from './support/model-fixtures.js';

// A server set up for a GPU provider its onnxruntime install lacks (YOLOOPS_INFERENCE_PROVIDERS=cuda on
// the CPU-only install): inference says what is wrong with the server, the rest keeps working.

let server: PlatformServer;
let modelId: string;

beforeAll(async () => {
  server = await startPlatformServer({ inference: { executionProviders: ['cuda'] } });
  modelId = (await server.platform.models.register({ task: 'detect', source: 'uploaded', classes: [], weights: [{ filename: 'yolov8n.onnx', body: FIXTURE_ONNX() }] })).model_id;
}, 60_000);

afterAll(() => server?.close());

async function inferBus(): Promise<{ status: number; json: { detail: string; code: string } }> {
  const form = new FormData();
  form.append('file', new Blob([readFileSync(fixturePath('images/bus.jpg'))], { type: 'image/jpeg' }), 'bus.jpg');
  const res = await fetch(`${server.url}/infer/${modelId}`, { method: 'POST', body: form });
  return { status: res.status, json: (await res.json()) as { detail: string; code: string } };
}

describe.runIf(!hasCudaProvider())('inference with an execution provider that is not installed', () => {
  test('is a 503 naming the provider and how to install it, every time; the server stays healthy', async () => {
    for (let i = 0; i < 2; i++) {
      const { status, json } = await inferBus();
      expect(status).toBe(503);
      expect(json.detail).toMatch(/^onnxruntime cannot use execution provider cuda: .*ONNXRUNTIME_NODE_INSTALL=cuda12/s);
    }
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect((await fetch(`${server.url}/models/${modelId}`)).status).toBe(200);
  });
});
