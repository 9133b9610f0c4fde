import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fixturePath } from '../../../test/support/fixtures.js';
import { startBlockedTrainingServer, type TrainingServer } from './support/training.js';

let t: TrainingServer;
/** A queued job no process runs (the only trainer slot is held). */
let queuedJob: () => Promise<string>;
const onnx = readFileSync(fixturePath('models/yolov8n_int8.onnx'));

const job = async (id: string) => (await t.get(`/train/jobs/${id}`)).json;

async function upload(taskId: string, files: Array<[name: string, bytes: Buffer]>) {
  const form = new FormData();
  for (const [name, bytes] of files) form.append('file', new Blob([new Uint8Array(bytes)]), name);
  const res = await fetch(`${t.url}/api/agent/tasks/${taskId}/weights`, { method: 'POST', body: form });
  return { status: res.status, json: (await res.json()) as any };
}
const scratchLeft = () => {
  const dir = path.join(t.dataDir, 'tmp/agent-weights');
  return existsSync(dir) ? readdirSync(dir) : [];
};

beforeAll(async () => {
  ({ t, queuedJob } = await startBlockedTrainingServer());
}, 30_000);
afterAll(async () => t?.close());

describe('POST /api/agent/tasks/{task_id}/weights with best.onnx and best.pt', () => {
  test('registers one model holding both, so it runs inference and can be fine-tuned', async () => {
    const id = await queuedJob();
    const pt = Buffer.from('pytorch checkpoint bytes');
    const { status, json } = await upload(id, [['best.onnx', onnx], ['best.pt', pt]]);
    expect(status).toBe(200);
    expect(json).toMatchObject({ success: true, data: { job_id: id, source: 'trained' } });
    expect(json.data.weights.map((w: { file: string; format: string; size: number }) => [w.file, w.format, w.size])).toEqual([
      ['best.onnx', 'onnx', onnx.length], ['best.pt', 'pt', pt.length],
    ]);
    expect(json.data.weights_path).toBe(path.join(t.dataDir, 'models', json.data.model_id, 'weights/best.onnx'));
    expect(readFileSync(path.join(t.dataDir, 'models', json.data.model_id, 'weights/best.pt'))).toEqual(pt);
    expect((await job(id)).model_id).toBe(json.data.model_id);
    expect(scratchLeft()).toEqual([]);
    // A fine-tune of it is accepted and starts from a copy of its best.pt.
    const fine = await t.post('/train/jobs', { dataset_id: t.datasetId, base_model_id: json.data.model_id, epochs: 1 });
    expect(fine.status).toBe(200);
    expect(fine.json).toMatchObject({ model_name: `${json.data.model_id}_fine_tuned`, base_model_id: json.data.model_id });
    expect(readFileSync(fine.json.original_model_path)).toEqual(pt);
  });

  test('a fine-tune of a model with only ONNX weights is a 409 that says why, not a 404', async () => {
    const id = await queuedJob();
    const { json } = await upload(id, [['best.onnx', onnx]]);
    const res = await t.post('/train/jobs', { dataset_id: t.datasetId, base_model_id: json.data.model_id });
    expect(res.status).toBe(409);
    expect(res.json.detail).toMatch(/has no PyTorch weights \(\.pt\), only onnx: Ultralytics fine-tunes from \.pt weights, not from ONNX/);
    const missing = await t.post('/train/jobs', { dataset_id: t.datasetId, base_model_id: 'model_20240101_000000_deadbeef' });
    expect(missing.status).toBe(404);
    expect(missing.json.detail).toBe('Base model model_20240101_000000_deadbeef not found');
  });

  test('a bad second file keeps nothing: no model, no scratch files, the job can still register', async () => {
    const id = await queuedJob();
    expect(await upload(id, [['best.pt', Buffer.from('pt')], ['best.onnx', Buffer.from('not onnx')]])).toMatchObject({
      status: 200, json: { success: false, code: 400, msg: expect.stringMatching(/ONNX/i) },
    });
    expect(await upload(id, [['best.pt', Buffer.from('a')], ['best.pt', Buffer.from('b')]])).toMatchObject({
      json: { success: false, code: 400, msg: 'weights file "best.pt" is given twice' },
    });
    expect(await upload(id, [['a.pt', Buffer.from('1')], ['b.pt', Buffer.from('2')], ['c.pt', Buffer.from('3')], ['d.pt', Buffer.from('4')], ['e.pt', Buffer.from('5')]])).toMatchObject({
      json: { success: false, code: 413, msg: 'too many files in "file": at most 4 per request' },
    });
    expect((await job(id)).model_id).toBeUndefined();
    expect(scratchLeft()).toEqual([]);
    expect(await upload(id, [['best.pt', Buffer.from('pt')]])).toMatchObject({ json: { success: true, data: { weights: [expect.objectContaining({ file: 'best.pt' })] } } });
  });

  test('a retried upload after the model is registered is drained and answered with that model', async () => {
    const id = await queuedJob();
    const first = await upload(id, [['best.onnx', onnx], ['best.pt', Buffer.from('pt')]]);
    const again = await upload(id, [['best.onnx', onnx], ['best.pt', Buffer.from('pt')]]);
    expect(again.json).toMatchObject({ success: true, data: { model_id: first.json.data.model_id } });
    expect((await t.get('/models')).json.models.filter((m: { job_id?: string }) => m.job_id === id)).toHaveLength(1);
    expect(scratchLeft()).toEqual([]);
  });
});
