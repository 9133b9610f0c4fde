import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Model } from '@yoloops/core';
import { createNodePlatform, type NodePlatform } from '@yoloops/core/node';
import { createApp } from '@yoloops/server-express';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { fixturePath } from '../../../../test/support/fixtures.js';

// security-and-faults C6: inference beyond the admission limit gets 503 + Retry-After before its
// upload is read (memory stays bounded); a slot frees as soon as a request ends.

let dir: string;
let platform: NodePlatform;
let server: Server;
let url: string;
let model: Model;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'yoloops-infer-load-'));
  platform = await createNodePlatform({ dataDir: dir, inference: { maxConcurrentRequests: 1 } });
  model = await platform.models.register({ task: 'detect', source: 'uploaded', classes: [], weights: [{ filename: 'm.onnx', body: readFileSync(fixturePath('models/yolov8n_int8.onnx')) }] });
  server = await new Promise<Server>((resolve) => {
    const s = createApp({ services: platform, log: () => {}, rateLimits: false }).listen(0, '127.0.0.1', () => resolve(s)); // the queue's 429/503, not the rate limit
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  platform.close();
  rmSync(dir, { recursive: true, force: true });
});

const form = () => {
  const f = new FormData();
  f.append('file', new Blob([readFileSync(fixturePath('images/bus.jpg'))]), 'bus.jpg');
  return f;
};

test('a request over the limit is a 503 with Retry-After while an upload holds the only slot; then the slot is free again', async () => {
  // An upload that has started but not finished holds the slot.
  const slow = httpRequest(`${url}/infer/${model.model_id}`, { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=xyz', 'content-length': '100000' } });
  slow.on('error', () => {});
  slow.write('--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\n');
  await new Promise((resolve) => setTimeout(resolve, 300));

  const busy = await fetch(`${url}/infer/${model.model_id}`, { method: 'POST', body: form() });
  expect(busy.status).toBe(503);
  expect(busy.headers.get('retry-after')).toBe('1');
  expect(((await busy.json()) as { detail: string }).detail).toMatch(/busy/);

  slow.destroy();
  let ok: Response | undefined;
  for (let i = 0; i < 50 && ok?.status !== 200; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    ok = await fetch(`${url}/infer/${model.model_id}`, { method: 'POST', body: form() });
  }
  expect(ok?.status).toBe(200);
});
