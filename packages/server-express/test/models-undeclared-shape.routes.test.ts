import { readFileSync } from 'node:fs';
import type { Model } from '@yoloops/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fixturePath, zipFiles } from '../../../test/support/fixtures.js';
import { withOutputShapes } from '../../core/test/support/onnx-inspect.js';
import { buildFailingDetector } from '../../core/test/support/onnx-variants.js';
import { FIXTURE_ONNX, startPlatformServer, type PlatformServer } from './support/model-fixtures.js';

// An ONNX whose output shape is undeclared uploads over HTTP (one probe run reads it) and detects what
// the same model with its shape declared does; one onnxruntime cannot run is a 400 naming the file.

const BUS = readFileSync(fixturePath('images/bus.jpg'));
let server: PlatformServer;

beforeAll(async () => {
  server = await startPlatformServer();
}, 60_000);
afterAll(async () => server?.close());

async function send(path: string, field: string, bytes: Buffer, filename: string): Promise<{ status: number; json: any }> {
  const form = new FormData();
  form.append(field, new Blob([new Uint8Array(bytes)]), filename);
  const res = await fetch(server.url + path, { method: 'POST', body: form });
  return { status: res.status, json: await res.json() };
}

describe('POST /models/upload with an ONNX that declares no output shape', () => {
  test('registers it and POST /infer/{model_id} on bus.jpg gives exactly the declared model\'s detections', async () => {
    const bare = Buffer.from(withOutputShapes(FIXTURE_ONNX(), { output0: undefined }));
    const uploaded = await send('/models/upload', 'file', await zipFiles({ 'weights/best.onnx': bare }), 'bare.zip');
    expect(uploaded.status).toBe(200);
    expect((uploaded.json as Model).model_info).toMatchObject({ layout: 'v8', num_classes: 80 });
    const declared = await server.platform.models.register({ task: 'detect', source: 'uploaded', classes: [], weights: [{ filename: 'best.onnx', body: FIXTURE_ONNX() }] });
    const got = await send(`/infer/${(uploaded.json as Model).model_id}`, 'file', BUS, 'bus.jpg');
    const want = await send(`/infer/${declared.model_id}`, 'file', BUS, 'bus.jpg');
    expect(got.status).toBe(200);
    expect(want.json.detections.length).toBeGreaterThan(3);
    expect(got.json.detections).toEqual(want.json.detections);
  }, 60_000);

  test('one onnxruntime cannot run is a 400 naming the file and onnxruntime\'s message; the server stays healthy', async () => {
    const before = (await server.platform.models.list()).length;
    const res = await send('/models/upload', 'file', await zipFiles({ 'weights/broken.onnx': Buffer.from(buildFailingDetector('run')) }), 'broken.zip');
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ code: 'onnx_probe_failed', detail: expect.stringMatching(/^broken\.onnx: onnxruntime cannot run it on a \[1, 3, 640, 640\] dummy input .*Reshape/is) });
    expect((await server.platform.models.list()).length).toBe(before);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  }, 30_000);
});
