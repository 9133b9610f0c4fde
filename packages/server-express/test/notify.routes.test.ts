import { Readable } from 'node:stream';
import { readFileSync } from 'node:fs';
import { fixturePath } from '../../../test/support/fixtures.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { rawRequest } from './support/http.js';
import { startBlockedTrainingServer, type TrainingServer } from './support/training.js';

const RESULT = '/api/model/train/notify/result';
const STATUS = '/api/model/train/notify/status';

let t: TrainingServer;
/** A queued job no process runs: what a seed 004 caller reports on. */
let queuedJob: () => Promise<string>;
const job = async (id: string) => (await t.get(`/train/jobs/${id}`)).json;
const epochs = (id: string) => t.platform.jobMetrics.listEpochs(id);

beforeAll(async () => {
  ({ t, queuedJob } = await startBlockedTrainingServer());
}, 30_000);
afterAll(async () => t?.close());

describe('POST /api/model/train/notify/status', () => {
  test('replays the seed 004 caller: 1, 2, 3, then a duplicate 3 and a late 2 — all HTTP 200', async () => {
    const id = await queuedJob();
    const replies = [];
    for (const body of [{ trainTaskId: id, statusType: 1 }, { trainTaskId: id, statusType: 2 }, { trainTaskId: id, statusType: 3 }]) {
      const res = await t.post(STATUS, body);
      expect(res.status).toBe(200);
      replies.push(res.json);
    }
    expect(replies.map((r) => r.success)).toEqual([true, true, true]);
    expect(replies[0].msg).toMatch(/already queued/);
    expect((await job(id)).status).toBe('completed');
    expect((await job(id)).completed_at).toEqual(expect.any(String));
    const duplicate = await t.post(STATUS, { trainTaskId: id, statusType: 3 });
    expect(duplicate).toEqual({ status: 200, json: { success: true, code: 200, msg: 'ok: job is already completed', data: '' } });
    const late = await t.post(STATUS, { trainTaskId: id, statusType: 2 });
    expect(late.status).toBe(200);
    expect(late.json).toMatchObject({ success: true, code: 200, msg: expect.stringMatching(/cannot move job from "completed" to "running"/) });
    expect((await job(id)).status).toBe('completed');
  });

  test('4 with an empty failureMessage fails the job with a default error; 5 without one stops it', async () => {
    const failed = await queuedJob();
    expect((await t.post(STATUS, { trainTaskId: failed, statusType: 2 })).json.success).toBe(true);
    expect((await t.post(STATUS, { trainTaskId: failed, statusType: 4, failureMessage: '' })).json.success).toBe(true);
    expect(await job(failed)).toMatchObject({ status: 'failed', error: expect.stringMatching(/without a message/) });
    const stopped = await queuedJob();
    expect((await t.post(STATUS, { trainTaskId: stopped, statusType: 5 })).json.success).toBe(true);
    expect((await job(stopped)).status).toBe('stopped');
  });

  test('a failureMessage becomes the job error; a report from an older attempt changes nothing', async () => {
    const id = await queuedJob();
    await t.post(STATUS, { trainTaskId: id, statusType: 2, attempt: 1 });
    const res = await t.post(STATUS, { trainTaskId: id, statusType: 4, failureMessage: 'CUDA out of memory', attempt: 1 });
    expect(res.json.msg).toBe('ok');
    expect((await job(id)).error).toBe('CUDA out of memory');
    const stale = await t.post(STATUS, { trainTaskId: id, statusType: 3, attempt: 0 });
    expect(stale.json).toMatchObject({ success: false, code: 400 });
  });

  test('an unknown task id that is not a caller\'s 32-hex id (string or number) is success:false code 404 with HTTP 200', async () => {
    for (const trainTaskId of ['0123456789ABCDEF0123456789ABCDEF', 'job_20240115_120000_0a1b2c3d', 42]) {
      const res = await t.post(STATUS, { trainTaskId, statusType: 2 });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ success: false, code: 404, msg: expect.stringContaining(`unknown trainTaskId "${trainTaskId}"`), data: null });
    }
  });

  test('a malformed body is success:false code 400 naming the field', async () => {
    const id = await queuedJob();
    for (const [body, field] of [[{ trainTaskId: id, statusType: 9 }, 'statusType'], [{ statusType: 2 }, 'trainTaskId'], [{ trainTaskId: id, statusType: '2' }, 'statusType']] as const) {
      const res = await t.post(STATUS, body);
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ success: false, code: 400, msg: expect.stringContaining(field) });
    }
  });

  test('invalid JSON is success:false code 400 with HTTP 200', async () => {
    const res = await rawRequest(t.url, 'POST', STATUS, { body: '{"trainTaskId": ', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ success: false, code: 400, msg: expect.stringMatching(/malformed request body/) });
  });

  test('a body over 100 kB is success:false code 413', async () => {
    const id = await queuedJob();
    const res = await t.post(STATUS, { trainTaskId: id, statusType: 2, failureMessage: 'x'.repeat(9000), pad: 'y'.repeat(120_000) });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ success: false, code: 413 });
  });

  test('the 100 kB cap holds for a chunked body without Content-Length too', async () => {
    const id = await queuedJob();
    const body = JSON.stringify({ trainTaskId: id, statusType: 2, pad: 'y'.repeat(200_000) });
    async function* chunks() {
      for (let i = 0; i < body.length; i += 10_000) yield Buffer.from(body.slice(i, i + 10_000));
    }
    const res = await fetch(t.url + STATUS, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Readable.from(chunks()) as never, duplex: 'half' } as RequestInit);
    expect(await res.json()).toMatchObject({ success: false, code: 413 });
    expect((await job(id)).status).toBe('queued');
  });
});

describe('seed 004 caller with its own task ids (external jobs)', () => {
  const A = '5b0e7c1f9a8d4e3b2c1a0f9e8d7c6b5a';
  const B = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
  const ok = async (path: string, body: unknown) => {
    const res = await t.post(path, body);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ success: true, code: 200, data: '' });
    return res.json.msg as string;
  };
  const epoch = (n: number) => ({ trainTaskId: A, epoch: n, accuracy: 0.5 + n / 20, loss: 1.1 / n, valAccuracy: 0.48 + n / 25, valLoss: 1.2 / n, f1Score: 0.4 + n / 30 });

  test('task A 1 → 2 → epochs (one twice) → 3 → 3 and task B 1 → 4 "" are kept, listed, stored once per epoch and never crashed', async () => {
    expect(await ok(STATUS, { trainTaskId: A, statusType: 1 })).toBe('ok: registered as an external job (queued)');
    expect(await ok(STATUS, { trainTaskId: A, statusType: 2 })).toBe('ok');
    await t.platform.jobs.checkAlive();
    for (const n of [1, 2, 2, 3]) expect(await ok(RESULT, epoch(n))).toBe('ok');
    await t.platform.jobs.checkAlive();
    expect((await job(A)).status).toBe('running');
    expect(await ok(STATUS, { trainTaskId: A, statusType: 3 })).toBe('ok');
    expect(await ok(STATUS, { trainTaskId: A, statusType: 3 })).toBe('ok: job is already completed');
    expect(await ok(STATUS, { trainTaskId: B, statusType: 1 })).toBe('ok: registered as an external job (queued)');
    expect(await ok(STATUS, { trainTaskId: B, statusType: 4, failureMessage: '' })).toBe('ok');
    await t.platform.jobs.checkAlive();

    const { status, json } = await t.get('/train/jobs');
    expect(status).toBe(200);
    const listed = new Map((json.jobs as Array<{ job_id: string }>).map((j) => [j.job_id, j]));
    expect(listed.get(A)).toMatchObject({ external: true, status: 'completed', epochs: 3, dataset_id: 'external', model_name: 'external', command: [] });
    expect(listed.get(B)).toMatchObject({ external: true, status: 'failed', error: 'the trainer reported a failure without a message' });
    for (const id of [A, B]) expect((listed.get(id) as { crashed?: boolean }).crashed).toBeUndefined();
    const one = await t.get(`/train/jobs/${A}`);
    expect(one).toMatchObject({ status: 200, json: { job_id: A, external: true, status: 'completed', completed_at: expect.any(String) } });

    const metrics = await t.client.training.metrics(A);
    expect(metrics.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(metrics.epochs[1]).toMatchObject({ epoch: 2, attempt: 1, metrics: { accuracy: 0.5 + 2 / 20, loss: 1.1 / 2, val_accuracy: 0.48 + 2 / 25, val_loss: 1.2 / 2, f1: 0.4 + 2 / 30 } });
    expect((await t.get(`/train/jobs/${B}/metrics`)).json).toEqual({ job_id: B, epochs: [] });
  });

  test('stop, resume and extend are 409 naming the caller; delete removes the job and its metrics', async () => {
    const C = 'c0ffee00c0ffee00c0ffee00c0ffee00';
    expect(await ok(RESULT, { trainTaskId: C, epoch: 1, accuracy: 61, loss: 2 })).toBe('ok: registered as an external job (running)');
    expect((await job(C)).status).toBe('running');
    for (const [path, body] of [[`/train/jobs/${C}/stop`, {}], [`/train/jobs/${C}/resume`, {}], [`/train/jobs/${C}/extend`, { epochs: 5 }]] as const) {
      const res = await t.post(path, body);
      expect(res).toMatchObject({ status: 409, json: { detail: expect.stringMatching(/is run by its caller/), code: 'external_job' } });
    }
    expect((await t.get(`/train/jobs/${C}/metrics`)).json.epochs[0].metrics).toEqual({ accuracy: 0.61, loss: 2 });
    expect(await t.del(`/train/jobs/${C}`)).toMatchObject({ status: 200, json: { ok: true } });
    expect((await t.get(`/train/jobs/${C}`)).status).toBe(404);
    expect((await t.get(`/train/jobs/${C}/metrics`)).status).toBe(404);
    expect(await epochs(C)).toEqual([]);
  });
});

describe('POST /api/model/train/notify/result', () => {
  test('replays the seed caller: hex-string id, fractions, 1-based epochs; a number id is read as text', async () => {
    const id = await queuedJob();
    for (const epoch of [1, 2]) {
      const res = await t.post(RESULT, { trainTaskId: id, epoch, accuracy: 0.61 + epoch / 100, loss: 1.2 / epoch, valAccuracy: 0.58, valLoss: 1.3, f1Score: 0.55 });
      expect(res).toEqual({ status: 200, json: { success: true, code: 200, msg: 'ok', data: '' } });
    }
    const rows = await epochs(id);
    expect(rows.map((r) => r.epoch)).toEqual([1, 2]);
    expect(rows[0]!.metrics).toEqual({ accuracy: 0.62, loss: 1.2, val_accuracy: 0.58, val_loss: 1.3, f1: 0.55 });
    const numeric = await t.post(RESULT, { trainTaskId: 123456, epoch: 1, accuracy: 0.5 });
    expect(numeric.json).toMatchObject({ success: false, code: 404, msg: expect.stringContaining('"123456"') });
  });

  test('percentages become fractions and the agent\'s metrics map is stored under canonical names', async () => {
    const id = await queuedJob();
    await t.post(RESULT, {
      trainTaskId: id, epoch: 1, accuracy: 62.5, f1Score: 55, loss: 3.1,
      metrics: { epoch: 1, 'train/box_loss': 1.5, 'metrics/mAP50(B)': 0.625, 'metrics/mAP50-95(B)': 0.4, 'val/box_loss': null }, attempt: 1, eventId: `${id}:1:epoch:1`,
    });
    const [row] = await epochs(id);
    expect(row!.metrics).toEqual({ accuracy: 0.625, f1: 0.55, loss: 3.1, box_loss: 1.5, map50: 0.625, map50_95: 0.4, val_box_loss: null });
  });

  test('the same event three times (a lost acknowledgement) is stored once; a resumed attempt replaces it, an older one does not', async () => {
    const id = await queuedJob();
    const body = { trainTaskId: id, epoch: 3, loss: 2, attempt: 1, eventId: `${id}:1:epoch:3` };
    for (let i = 0; i < 3; i++) expect((await t.post(RESULT, body)).json.success).toBe(true);
    expect(await epochs(id)).toHaveLength(1);
    await t.post(RESULT, { ...body, loss: 1, attempt: 2, eventId: `${id}:2:epoch:3` });
    const late = await t.post(RESULT, body);
    expect(late.json).toMatchObject({ success: true, msg: expect.stringMatching(/later attempt/) });
    const rows = await epochs(id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ epoch: 3, attempt: 2, metrics: { loss: 1 } });
  });

  test('a missing or bad epoch is success:false code 400 naming the field', async () => {
    const id = await queuedJob();
    for (const body of [{ trainTaskId: id, loss: 1 }, { trainTaskId: id, epoch: -1 }, { trainTaskId: id, epoch: 1.5 }]) {
      const res = await t.post(RESULT, body);
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ success: false, code: 400, msg: expect.stringContaining('epoch') });
    }
    expect(await epochs(id)).toEqual([]);
  });
});

describe('POST /api/agent/tasks/{task_id}/weights', () => {
  const upload = async (taskId: string, filename: string, bytes: Buffer) => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(bytes)]), filename);
    const res = await fetch(`${t.url}/api/agent/tasks/${taskId}/weights`, { method: 'POST', body: form });
    return { status: res.status, json: (await res.json()) as any };
  };

  test('registers the weights as the job\'s trained model with the dataset classes and sets model_id; the first upload wins', async () => {
    const id = await queuedJob();
    // weights that claim to be ONNX are checked before anything is kept
    expect(await upload(id, 'best.onnx', Buffer.from('onnx bytes'))).toMatchObject({ status: 200, json: { success: false, code: 400, msg: expect.stringMatching(/ONNX/i) } });
    expect((await job(id)).model_id).toBeUndefined();
    const onnx = readFileSync(fixturePath('models/yolov8n_int8.onnx'));
    const first = await upload(id, 'best.onnx', onnx);
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ success: true, code: 200, data: { source: 'trained', task: 'detect', job_id: id, dataset_id: t.datasetId, base_model: 'yolov8n.pt', epochs: 5 } });
    expect(first.json.data.classes.length).toBeGreaterThan(0);
    expect(first.json.data.weights).toEqual([expect.objectContaining({ file: 'best.onnx', format: 'onnx', size: onnx.length })]);
    expect((await job(id)).model_id).toBe(first.json.data.model_id);
    const second = await upload(id, 'best.pt', Buffer.from('pt'));
    expect(second.json).toMatchObject({ success: true, data: { model_id: first.json.data.model_id } });
  });

  test('an unknown task is code 404 and a weights name that is not .onnx/.pt is code 400, both HTTP 200', async () => {
    expect(await upload('job_nope', 'best.onnx', Buffer.from('x'))).toMatchObject({ status: 200, json: { success: false, code: 404 } });
    const id = await queuedJob();
    expect(await upload(id, 'best.exe', Buffer.from('x'))).toMatchObject({ status: 200, json: { success: false, code: 400 } });
    expect((await job(id)).model_id).toBeUndefined();
  });
});
