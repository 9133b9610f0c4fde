import { canonicalizeMetrics } from '@yoloops/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fixturePath, zipDirectory, zipFiles } from '../../../test/support/fixtures.js';
import { expectApiError, jsonInit, rawRequest } from './support/http.js';
import { FIXTURE_ONNX, ultralyticsEpoch } from './support/model-fixtures.js';
import { startTrainingServer, waitFor, type TrainingServer } from './support/training.js';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
let t: TrainingServer;
let coco8: Buffer;

beforeAll(async () => {
  t = await startTrainingServer({ epochMs: 300 });
  coco8 = await zipDirectory(fixturePath('datasets/coco8'));
});
afterAll(async () => t?.close());

/** FastAPI's 422: `detail` lists each invalid field with its location. */
async function expect422(path: string, method: 'GET' | 'POST' | 'PUT', body: unknown, loc: string[]) {
  const res = await rawRequest(t.url, method, path, body === undefined ? {} : jsonInit(body));
  expect(res.status, res.text).toBe(422);
  expect((res.json as { detail: unknown }).detail).toEqual(expect.arrayContaining([expect.objectContaining({ loc, msg: expect.any(String), type: expect.any(String) })]));
}

describe('/api/v1/projects', () => {
  test('creates, reads, lists with total and pages, updates partially, deletes (auth off: no owner)', async () => {
    const a = await t.client.projects.create({ name: 'Cats', description: 'detector', settings: { imgsz: 640 } });
    expect(a).toEqual({ id: expect.any(Number), name: 'Cats', description: 'detector', owner_id: null, status: 'active', settings: { imgsz: 640 }, created_at: expect.stringMatching(ISO), updated_at: a.created_at });
    const b = await t.client.projects.create({ name: 'Dogs' });
    expect(b).toMatchObject({ id: a.id + 1, description: null, settings: {} });
    expect(await t.client.projects.get(a.id)).toEqual(a);
    const all = await t.client.projects.list();
    expect(all.total).toBeGreaterThanOrEqual(2);
    const second = await t.client.projects.list({ skip: all.total - 1, limit: 1 });
    expect(second).toEqual({ total: all.total, projects: [expect.objectContaining({ id: b.id })] });
    const updated = await t.client.projects.update(a.id, { description: null, status: 'archived' });
    expect(updated).toMatchObject({ id: a.id, name: 'Cats', description: null, status: 'archived', settings: { imgsz: 640 }, created_at: a.created_at });
    expect(await t.client.projects.delete(b.id)).toBeUndefined();
    await expectApiError(t.client.projects.get(b.id), 404, 'Project not found');
    await expectApiError(t.client.projects.update(b.id, { name: 'x' }), 404, 'Project not found');
    await expectApiError(t.client.projects.delete(b.id), 404, 'Project not found');
  });

  test('answers 204 with no body on delete, 404 {detail} for a missing one', async () => {
    const p = await t.client.projects.create({ name: 'gone' });
    const res = await rawRequest(t.url, 'DELETE', `/api/v1/projects/${p.id}`);
    expect({ status: res.status, text: res.text }).toEqual({ status: 204, text: '' });
    const miss = await rawRequest(t.url, 'GET', '/api/v1/projects/999999');
    expect({ status: miss.status, detail: (miss.json as { detail: string }).detail }).toEqual({ status: 404, detail: 'Project not found' });
  });

  test('validation errors are FastAPI 422s naming the field', async () => {
    await expect422('/api/v1/projects', 'POST', { name: '' }, ['body', 'name']);
    await expect422('/api/v1/projects', 'POST', { name: 'x'.repeat(201) }, ['body', 'name']);
    await expect422('/api/v1/projects', 'POST', { description: 'no name' }, ['body', 'name']);
    await expect422('/api/v1/projects', 'POST', { name: 'a', settings: [1] }, ['body', 'settings']);
    await expect422('/api/v1/projects?limit=1001', 'GET', undefined, ['query', 'limit']);
    await expect422('/api/v1/projects?skip=-1', 'GET', undefined, ['query', 'skip']);
    const p = await t.client.projects.create({ name: 'v' });
    await expect422(`/api/v1/projects/${p.id}`, 'PUT', { status: 'deleted' }, ['body', 'status']);
    expect((await rawRequest(t.url, 'GET', '/api/v1/projects/abc')).status).toBe(400);
  });
});

describe('/api/v1/datasets', () => {
  test('lists a dataset uploaded through S001 with its number and real size, images and status', async () => {
    const { datasets, total } = await t.client.catalog.datasets.list();
    expect(total).toBe(datasets.length);
    const row = datasets.find((d) => d.dataset_id === t.datasetId);
    expect(row).toMatchObject({ id: expect.any(Number), name: 'coco8', format: 'yolo', status: 'ready', state: 'prepared', row_count: 8, project_id: null, owner_id: null });
    expect(row?.size).toBe((await t.client.datasets.get(t.datasetId)).size);
    expect(row?.size_formatted).toMatch(/^\d+\.\d\d (KB|MB)$/);
    expect(await t.client.catalog.datasets.get(row!.id)).toEqual(row);
    expect(await t.client.catalog.datasets.get(t.datasetId)).toEqual(row);
  });

  test('a record in a project, uploaded through /{id}/upload, becomes a real prepared dataset; delete removes it for real', async () => {
    const project = await t.client.projects.create({ name: 'uploads' });
    const record = await t.client.catalog.datasets.create({ name: 'my coco8', description: 'eight images', project_id: project.id });
    expect(record).toMatchObject({ dataset_id: null, name: 'my coco8', description: 'eight images', project_id: project.id, format: 'yolo', size: 0, size_formatted: '0.00 B', row_count: 0, status: 'pending', state: null });
    const { message, dataset } = await t.client.catalog.datasets.upload(record.id, { data: coco8, filename: 'coco8.zip' });
    expect(message).toBe('Upload successful');
    expect(dataset).toMatchObject({ id: record.id, name: 'my coco8', project_id: project.id, size: coco8.length, row_count: 8, status: 'ready', state: 'prepared', created_at: record.created_at });
    expect(dataset.dataset_id).toMatch(/^ds_/);
    const real = await t.client.datasets.get(dataset.dataset_id!);
    expect(real).toMatchObject({ size: coco8.length, image_count: 8, status: 'prepared' });
    expect(dataset.classes).toEqual(real.classes);
    expect(await t.client.catalog.datasets.get(dataset.dataset_id!)).toEqual(dataset);
    expect((await t.client.catalog.datasets.list({ project_id: project.id })).datasets).toEqual([dataset]);
    await expectApiError(t.client.catalog.datasets.upload(record.id, { data: coco8, filename: 'coco8.zip' }), 409, /already uploaded/);

    expect(await t.client.catalog.datasets.delete(dataset.dataset_id!)).toBeUndefined();
    await expectApiError(t.client.datasets.get(dataset.dataset_id!), 404);
    await expectApiError(t.client.catalog.datasets.get(record.id), 404, 'Dataset not found');
    const next = await t.client.catalog.datasets.create({ name: 'after' });
    expect(next.id).toBeGreaterThan(record.id);
  });

  test('pages with total; project and format are checked; a bad upload keeps the record pending', async () => {
    const before = await t.client.catalog.datasets.list();
    const r = await t.client.catalog.datasets.create({ name: 'p' });
    const after = await t.client.catalog.datasets.list({ skip: before.total, limit: 1 });
    expect(after).toEqual({ total: before.total + 1, count: 1, timestamp: expect.stringMatching(ISO), datasets: [r] });
    await expectApiError(t.client.catalog.datasets.create({ name: 'x', project_id: 999_999 }), 404, 'Project not found');
    await expect422('/api/v1/datasets', 'POST', { name: 'x', format: 'parquet' }, ['body', 'format']);
    await expect422('/api/v1/datasets?limit=0', 'GET', undefined, ['query', 'limit']);
    await expectApiError(t.client.catalog.datasets.upload(r.id, { data: Buffer.from('not a zip'), filename: 'x.tar' }), 400, /zip/i);
    expect(await t.client.catalog.datasets.get(r.id)).toEqual(r);
    await expectApiError(t.client.catalog.datasets.get(999_999), 404, 'Dataset not found');
    await expectApiError(t.client.catalog.datasets.delete('ds_missing'), 404, 'Dataset not found');
    expect(await t.client.catalog.datasets.delete(r.id)).toBeUndefined();
    await expectApiError(t.client.catalog.datasets.get(r.id), 404);
  });

  test('deleting a project detaches its datasets and deletes nothing else', async () => {
    const project = await t.client.projects.create({ name: 'short-lived' });
    const record = await t.client.catalog.datasets.create({ name: 'kept', project_id: project.id });
    await t.client.projects.delete(project.id);
    expect(await t.client.catalog.datasets.get(record.id)).toEqual({ ...record, project_id: null });
  });
});

describe('/api/v1/models', () => {
  test('a trained model shows its real size, framework and last-epoch metrics, in its job\'s project', async () => {
    const jobId = 'job_catalog_metrics';
    const project = await t.client.projects.create({ name: 'trained' });
    await t.platform.resources.ensure('job', jobId, { project_id: project.id }); // what POST /training/submit records
    const model = await t.platform.models.register({
      task: 'detect', source: 'trained', job_id: jobId, classes: ['cat'], base_model: 'yolov8n.pt', name: 'trained-one', weights: [{ filename: 'best.onnx', body: FIXTURE_ONNX() }],
    });
    for (let e = 1; e <= 3; e++) await t.platform.jobMetrics.upsertEpoch(jobId, e, canonicalizeMetrics(ultralyticsEpoch(e)), { attempt: 1, recorded_at: new Date().toISOString() });
    const last = ultralyticsEpoch(3);
    const row = (await t.client.catalog.models.list()).models.find((m) => m.model_id === model.model_id);
    expect(row).toMatchObject({ name: 'trained-one', base_model: 'yolov8n.pt', framework: 'onnx', size_bytes: model.file_size, status: 'ready', job_id: jobId, project_id: project.id });
    expect(row?.size).toMatch(/^\d+(\.\d)?(KB|MB)$/);
    expect(row?.metrics?.final_loss).toBeCloseTo(last['train/box_loss']! + last['train/cls_loss']! + last['train/dfl_loss']!, 6);
    expect(row?.metrics).toMatchObject({ mAP50: last['metrics/mAP50(B)'], 'mAP50-95': last['metrics/mAP50-95(B)'], precision: last['metrics/precision(B)'], recall: last['metrics/recall(B)'] });
    expect(await t.client.catalog.models.get(row!.id)).toEqual(row);
    expect((await t.client.catalog.models.list({ project_id: project.id })).models).toEqual([row]);
  });

  test('a record uploaded with the S001 model ZIP becomes the registered model; delete removes it', async () => {
    const record = await t.client.catalog.models.create({ name: 'uploaded-one', base_model: 'yolov8n', version: 'v2' });
    expect(record).toMatchObject({ model_id: null, name: 'uploaded-one', base_model: 'yolov8n', version: 'v2', size: '0B', size_bytes: 0, status: 'pending', metrics: null });
    const zip = await zipFiles({ 'weights/best.onnx': FIXTURE_ONNX() });
    const { model } = await t.client.catalog.models.upload(record.id, { data: zip, filename: 'weights.zip' });
    expect(model).toMatchObject({ id: record.id, name: 'uploaded-one', framework: 'onnx', status: 'ready', metrics: null, size_bytes: FIXTURE_ONNX().length });
    expect(await t.client.catalog.models.get(model.model_id!)).toEqual(model);
    expect(await t.client.catalog.models.delete(record.id)).toBeUndefined();
    await expectApiError(t.client.models.get(model.model_id!), 404);
    await expectApiError(t.client.catalog.models.get(record.id), 404, 'Model not found');
    await expect422('/api/v1/models', 'POST', { name: '' }, ['body', 'name']);
  });
});

describe('/api/v1/tasks', () => {
  test('a training job is a task: pending/running, then its real progress; stopped maps to failed with the raw state', async () => {
    const created = await t.post('/train/jobs', { dataset_id: t.datasetId, epochs: 60 });
    expect(created.status, JSON.stringify(created.json)).toBe(200);
    const jobId = created.json.job_id as string;
    const first = await t.client.tasks.get(jobId);
    expect(first).toMatchObject({ type: 'training', resource_id: jobId, name: jobId, progress: 0 });
    expect(['pending', 'running']).toContain(first.status);
    const running = await waitFor(() => t.client.tasks.get(jobId), (task) => task.state === 'running');
    expect(running.status).toBe('running');
    // what the trainer agent reports after each epoch (this server runs the trainer without one)
    for (const epoch of [1, 2, 3]) {
      const res = await t.post('/api/model/train/notify/result', { trainTaskId: jobId, epoch, metrics: canonicalizeMetrics(ultralyticsEpoch(epoch)) });
      expect(res.json).toMatchObject({ success: true });
    }
    expect(await t.client.tasks.get(jobId)).toMatchObject({ status: 'running', progress: 5 });
    await t.post(`/train/jobs/${jobId}/stop`);
    const stopped = await waitFor(() => t.client.tasks.get(jobId), (task) => task.state === 'stopped');
    expect(stopped).toMatchObject({ id: first.id, status: 'failed', progress: 5, finished_at: expect.stringMatching(ISO) });
    expect(await t.client.tasks.get(first.id)).toEqual(stopped);
  });

  test('a completed job is 100; preparations are tasks too; numbers are unique; status filters and pages', async () => {
    const created = await t.post('/train/jobs', { dataset_id: t.datasetId, epochs: 2 });
    const jobId = created.json.job_id as string;
    const done = await waitFor(() => t.client.tasks.get(jobId), (task) => task.status === 'completed' || task.status === 'failed', 30_000);
    expect(done).toMatchObject({ status: 'completed', state: 'completed', progress: 100, finished_at: expect.stringMatching(ISO) });
    const { tasks, total } = await t.client.tasks.list();
    expect(total).toBe(tasks.length);
    expect(new Set(tasks.map((x) => x.id)).size).toBe(tasks.length);
    expect(tasks.find((x) => x.resource_id === t.datasetId)).toMatchObject({ type: 'dataset_preparation', status: 'completed', state: 'prepared', progress: 100, name: 'prepare coco8' });
    const completed = await t.client.tasks.list({ status: 'completed' });
    expect(completed.tasks.every((x) => x.status === 'completed')).toBe(true);
    expect(completed.tasks.map((x) => x.resource_id)).toEqual(expect.arrayContaining([jobId, t.datasetId]));
    expect((await t.client.tasks.list({ skip: 1, limit: 1 })).tasks).toEqual([tasks[1]]);
    expect((await t.client.tasks.list({ type: 'dataset_preparation' })).tasks.every((x) => x.type === 'dataset_preparation')).toBe(true);
    await expectApiError(t.client.tasks.get(999_999), 404, 'Task not found');
    await expect422('/api/v1/tasks?status=queued', 'GET', undefined, ['query', 'status']);
  });
});
