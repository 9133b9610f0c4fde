import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fixturePath } from '../../../test/support/fixtures.js';
import { startBlockedTrainingServer, type TrainingServer } from './support/training.js';

let t: TrainingServer;
let queuedJob: () => Promise<string>;
beforeAll(async () => {
  ({ t, queuedJob } = await startBlockedTrainingServer());
}, 30_000);
afterAll(async () => t?.close());

const logs = (id: string) => `/api/agent/tasks/${id}/logs`;
/** Moves a job on to `attempt`, as a claim after a dead worker does. */
const onAttempt = (id: string, attempt: number) => t.platform.jobs.get(id).then(() => t.platform.stores.jobs.update(id, { attempt }));

async function put(id: string, query: string, bytes: Buffer, name = 'last.pt') {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(bytes)]), name);
  const res = await fetch(`${t.url}/api/agent/tasks/${id}/checkpoint${query}`, { method: 'PUT', body: form });
  return { status: res.status, json: (await res.json()) as any };
}

describe('POST /api/agent/tasks/{task_id}/logs', () => {
  test('appends the batch to the log the log routes read, once per (attempt, seq)', async () => {
    const id = await queuedJob();
    const first = await t.post(logs(id), { attempt: 1, seq: 1, lines: ['Epoch 1/2', 'loss 0.5\r', ''] });
    expect(first).toEqual({ status: 200, json: { success: true, code: 200, msg: 'ok', data: { stored: true, lines: 2, size: 19 } } });
    expect((await t.post(logs(id), { attempt: 1, seq: 1, lines: ['Epoch 1/2'] })).json).toMatchObject({ success: true, msg: 'already stored: batch 1 of attempt 1', data: { stored: false } });
    await t.post(logs(id), { attempt: 1, seq: 2, lines: ['Epoch 2/2'] });
    expect((await t.get(`/logs/lines?job_id=${id}&n=0`)).json).toMatchObject({ lines: ['Epoch 1/2', 'loss 0.5', 'Epoch 2/2'], total: 3 });
  });

  test('an older attempt is acknowledged and not stored; a bad batch is a success:false 400; an unknown job a 404', async () => {
    const id = await queuedJob();
    await onAttempt(id, 2);
    expect((await t.post(logs(id), { attempt: 1, seq: 5, lines: ['late'] })).json).toMatchObject({ success: true, msg: 'ignored: upload from attempt 1, the job is on attempt 2', data: { stored: false } });
    expect((await t.get(`/logs/lines?job_id=${id}`)).json).toMatchObject({ lines: [], error: 'Log file not found' });
    expect((await t.post(logs(id), { attempt: 2, seq: 0, lines: [] })).json).toMatchObject({ success: false, code: 400 });
    expect((await t.post(logs(id), { attempt: 3, seq: 1, lines: ['ahead'] })).json).toMatchObject({ success: false, code: 409 });
    expect((await t.post(logs('job_20240101_000000_deadbeef'), { attempt: 1, seq: 1, lines: ['x'] })).json).toMatchObject({ success: false, code: 404 });
  });
});

describe('PUT /api/agent/tasks/{task_id}/checkpoint', () => {
  test('stores the file as the job\'s weights/last.pt (what a resume starts from); an older attempt\'s is ignored', async () => {
    const id = await queuedJob();
    const lastPt = path.join(t.dataDir, 'jobs', id, 'train', 'weights', 'last.pt');
    expect(await put(id, '?attempt=1', Buffer.from('epoch 3 weights'))).toEqual({ status: 200, json: { success: true, code: 200, msg: 'ok', data: { stored: true, size: 15 } } });
    expect(readFileSync(lastPt, 'utf8')).toBe('epoch 3 weights');
    await onAttempt(id, 2);
    expect((await put(id, '?attempt=1', Buffer.from('stale weights'))).json).toMatchObject({ success: true, data: { stored: false }, msg: expect.stringMatching(/^ignored/) });
    expect(readFileSync(lastPt, 'utf8')).toBe('epoch 3 weights');
    expect((await put(id, '', Buffer.from('x'))).json).toMatchObject({ success: false, code: 400, msg: expect.stringMatching(/attempt/) });
  });
});

describe('POST /api/agent/tasks/{task_id}/weights?attempt=N (fencing)', () => {
  test('weights of an attempt older than the job\'s are drained and register nothing', async () => {
    const id = await queuedJob();
    await onAttempt(id, 2);
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(readFileSync(fixturePath('models/yolov8n_int8.onnx')))]), 'best.onnx');
    const res = await fetch(`${t.url}/api/agent/tasks/${id}/weights?attempt=1`, { method: 'POST', body: form });
    expect(await res.json()).toMatchObject({ success: true, msg: 'ignored: weights from attempt 1, the job is on attempt 2' });
    expect((await t.get(`/train/jobs/${id}`)).json.model_id).toBeUndefined();
  });
});

describe('reports of an older attempt (fencing)', () => {
  test('an epoch and steps of attempt 1 on a job now on attempt 2 are acknowledged as ignored and store nothing', async () => {
    const id = await queuedJob();
    await onAttempt(id, 2);
    const epoch = await t.post('/api/model/train/notify/result', { trainTaskId: id, epoch: 3, loss: 0.4, attempt: 1 });
    expect(epoch.json).toMatchObject({ success: true, msg: 'ignored: report from attempt 1, the job is on attempt 2' });
    const steps = await t.post(`/api/agent/tasks/${id}/steps`, { rows: [{ step: 5, values: { loss: 1 } }], attempt: 1 });
    expect(steps.json).toMatchObject({ success: true, msg: 'ignored: report from attempt 1, the job is on attempt 2' });
    expect(await t.platform.jobMetrics.listEpochs(id)).toEqual([]);
    expect(await t.platform.jobMetrics.listSteps(id)).toEqual([]);
    expect((await t.post('/api/model/train/notify/result', { trainTaskId: id, epoch: 3, loss: 0.3, attempt: 2 })).json).toMatchObject({ success: true, msg: 'ok' });
  });
});
