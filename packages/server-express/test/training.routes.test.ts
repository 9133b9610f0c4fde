import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTrainingServer, waitFor, type TrainingServer } from './support/training.js';

let t: TrainingServer;
const job = async (id: string) => (await t.get(`/train/jobs/${id}`)).json;
const until = (id: string, statuses: string[], timeoutMs = 20_000) => waitFor(() => job(id), (j) => statuses.includes(j.status), timeoutMs);
const create = async (body: Record<string, unknown>) => {
  const res = await t.post('/train/jobs', { dataset_id: t.datasetId, imgsz: 320, batch: 4, ...body });
  expect(res.status).toBe(200);
  return res.json;
};

beforeAll(async () => {
  t = await startTrainingServer({ epochMs: 150 });
}, 30_000);
afterAll(async () => t?.close());

describe('POST /train/jobs', () => {
  test('queues a job that runs the trainer to completion: queued → running → completed', async () => {
    const created = await create({ epochs: 3, model_name: 'yolov8n.pt' });
    expect(created).toMatchObject({ job_id: expect.any(String), status: 'queued', dataset_id: t.datasetId, model_name: 'yolov8n.pt', epochs: 3, imgsz: 320, batch: 4, base_model_id: null });
    await until(created.job_id, ['running', 'completed']);
    const done = await until(created.job_id, ['completed', 'failed']);
    expect(done).toMatchObject({ status: 'completed', exit_code: 0, completed_at: expect.any(String), log_file: expect.stringMatching(/\.log$/) });
  });

  test('refuses an unknown dataset with 404 and a bad body with 422', async () => {
    expect((await t.post('/train/jobs', { dataset_id: 'ds_missing' })).status).toBe(404);
    const bad = await t.post('/train/jobs', { dataset_id: t.datasetId, epochs: 0 });
    expect(bad.status).toBe(422);
    expect(bad.json.detail).toMatch(/epochs/);
  });
});

describe('GET /train/jobs', () => {
  test('lists jobs newest first with the fields the origin frontend reads', async () => {
    const a = await create({ epochs: 1 });
    const b = await create({ epochs: 1 });
    const { status, json } = await t.get('/train/jobs');
    expect(status).toBe(200);
    const ids = (json.jobs as Array<{ job_id: string }>).map((j) => j.job_id);
    expect(ids.indexOf(b.job_id)).toBeLessThan(ids.indexOf(a.job_id));
    for (const j of json.jobs) expect(Object.keys(j)).toEqual(expect.arrayContaining(['job_id', 'dataset_id', 'model_name', 'epochs', 'imgsz', 'batch', 'status', 'base_model_id']));
    await until(a.job_id, ['completed']);
    await until(b.job_id, ['completed']);
  });

  test('GET /train/jobs/{job_id} answers 404 "Job not found" for an unknown id', async () => {
    const res = await t.get('/train/jobs/job_nope');
    expect(res).toMatchObject({ status: 404, json: { detail: 'Job not found' } });
  });
});

describe('stop, resume, extend, delete', () => {
  test('stop mid-run → stopped; stopping again is {ok:false}; resume continues to completed', async () => {
    const { job_id } = await create({ epochs: 20 });
    await waitFor(() => job(job_id), (j) => j.status === 'running' && j.pid !== undefined);
    await waitFor(async () => (await t.get(`/logs/lines?job_id=${job_id}&n=0`)).json.lines as string[], (lines) => lines.some((l) => /\s2\/20\s/.test(l)));
    const stopped = await t.post(`/train/jobs/${job_id}/stop`);
    expect(stopped).toEqual({ status: 200, json: { ok: true, job_id, status: 'stopped' } });
    expect(await job(job_id)).toMatchObject({ status: 'stopped', stopped_at: expect.any(String) });
    expect(await t.post(`/train/jobs/${job_id}/stop`)).toEqual({ status: 200, json: { ok: false, error: 'Job not running' } });
    const resumed = await t.post(`/train/jobs/${job_id}/resume`);
    expect(resumed).toEqual({ status: 200, json: { ok: true, job_id, status: 'queued', message: 'Training resumed from checkpoint' } });
    const done = await until(job_id, ['completed', 'failed']);
    expect(done).toMatchObject({ status: 'completed', attempt: 2, resume_count: 1 });
    const log = (await t.get(`/logs/lines?job_id=${job_id}&n=0`)).json.lines as string[];
    expect(log.some((l) => /^Resuming training from/.test(l))).toBe(true);
  }, 30_000);

  test('resume answers 409 for a completed job and 404 for an unknown one; stop of an unknown job is 404', async () => {
    const { json } = await t.get('/train/jobs');
    const completed = (json.jobs as Array<{ job_id: string; status: string }>).find((j) => j.status === 'completed')!;
    const res = await t.post(`/train/jobs/${completed.job_id}/resume`);
    expect(res.status).toBe(409);
    expect(res.json.detail).toMatch(/extend/);
    expect((await t.post('/train/jobs/job_nope/resume')).status).toBe(404);
    expect((await t.post('/train/jobs/job_nope/stop')).status).toBe(404);
  });

  test('extend queues a child job that records its parent and runs', async () => {
    const parent = await create({ epochs: 1 });
    await until(parent.job_id, ['completed']);
    const child = await t.post(`/train/jobs/${parent.job_id}/extend`, { epochs: 2 });
    expect(child.status).toBe(200);
    expect(child.json).toMatchObject({ parent_job_id: parent.job_id, status: 'queued', epoch_offset: 1 });
    expect((await until(child.json.job_id, ['completed', 'failed'])).status).toBe('completed');
    expect((await t.post(`/train/jobs/${parent.job_id}/extend`, { epochs: 0 })).status).toBe(422);
  }, 30_000);

  test('delete stops a running job, removes it and answers {ok, message}; a second delete is 404', async () => {
    const { job_id } = await create({ epochs: 50 });
    await until(job_id, ['running']);
    const res = await t.del(`/train/jobs/${job_id}`);
    expect(res).toEqual({ status: 200, json: { ok: true, message: `Job ${job_id} deleted` } });
    expect((await t.get(`/train/jobs/${job_id}`)).status).toBe(404);
    expect((await t.del(`/train/jobs/${job_id}`)).status).toBe(404);
  }, 30_000);
});
