import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { fixturePath, zipFiles } from '../../../../test/support/fixtures.js';
import { craftZip } from '../../../core/test/support/craft-zip.js';
import { withMetadata } from '../../../core/test/support/onnx-inspect.js';
import { withExternalData } from '../../../core/test/support/onnx-variants.js';
import { startPlatformServer, type PlatformServer } from '../support/model-fixtures.js';

// Issue 4 / security-and-faults §B over HTTP: hostile model ZIPs are 4xx naming the problem, nothing is
// registered or left on disk, and the server stays healthy.

const ONNX = readFileSync(fixturePath('models/yolov8n_int8.onnx'));
let server: PlatformServer;

beforeAll(async () => {
  server = await startPlatformServer();
});
afterAll(async () => server?.close());

async function upload(zip: Buffer, filename = 'model.zip') {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(zip)]), filename);
  const res = await fetch(`${server.url}/models/upload`, { method: 'POST', body: form });
  return { status: res.status, json: (await res.json()) as { detail: string; code: string } };
}

const cases: [string, () => Promise<Buffer> | Buffer, RegExp][] = [
  ['a corrupt ONNX (cut short)', () => zipFiles({ 'weights/best.onnx': ONNX.subarray(0, 100_000) }), /onnx/i],
  ['random bytes named .onnx', () => zipFiles({ 'weights/best.onnx': Buffer.from('PK\u0003\u0004 definitely not protobuf '.repeat(50)) }), /onnx/i],
  ['external data ../../../../etc/passwd', () => zipFiles({ 'weights/best.onnx': Buffer.from(withExternalData('../../../../etc/passwd')) }), /etc\/passwd/],
  ['external data at an absolute path', () => zipFiles({ 'weights/best.onnx': Buffer.from(withExternalData('/etc/passwd')) }), /\/etc\/passwd/],
  ['a classifier, not a detector', () => zipFiles({ 'weights/best.onnx': Buffer.from(withMetadata(ONNX, { task: 'classify' })) }), /classify/],
  ['a traversal entry name', () => craftZip([{ name: 'weights/../../evil.pt', data: 'x' }]), /\.\./],
  ['a backslash traversal name', () => craftZip([{ name: '..\\weights\\best.pt', data: 'x' }]), /\\|\.\./],
  ['a symlink entry', () => craftZip([{ name: 'weights/best.onnx', data: '/etc/passwd', unixMode: 0o120777 }]), /link/i],
  ['no weights folder', () => zipFiles({ 'model.json': '{}' }), /weights/],
  ['not a ZIP', () => Buffer.from('hello'), /zip/i],
];

test.each(cases)('%s → 4xx naming the problem; nothing kept; server healthy', async (_label, make, message) => {
  const res = await upload(await make());
  expect(res.status).toBeGreaterThanOrEqual(400);
  expect(res.status).toBeLessThan(500);
  expect(res.json.detail).toMatch(message);
  expect((await server.platform.models.list()).length).toBe(0);
  expect(await server.platform.blobs.list('models')).toEqual([]);
  expect(await server.platform.blobs.list('tmp')).toEqual([]);
  expect((await fetch(`${server.url}/health`)).status).toBe(200);
});

test('a .pt is stored as opaque bytes and never loaded: registering pickle bytes runs nothing', async () => {
  const pickle = Buffer.from('cos\nsystem\n(S\'touch /tmp/yoloops-pwned\'\ntR.');
  const res = await upload(await zipFiles({ 'weights/evil.pt': pickle }));
  expect(res.status).toBe(200);
  const infer = new FormData();
  infer.append('file', new Blob([new Uint8Array(readFileSync(fixturePath('images/bus.jpg')))]), 'bus.jpg');
  const answer = await fetch(`${server.url}/infer/${(res.json as unknown as { model_id: string }).model_id}`, { method: 'POST', body: infer });
  expect(answer.status).toBe(415);
  await server.platform.models.delete((res.json as unknown as { model_id: string }).model_id);
});
