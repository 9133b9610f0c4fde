import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Model } from '@yoloops/core';
import { attachmentFilename, jsonInit, rawRequest } from './support/http.js';
import { FIXTURE_ONNX, registerTrainedModel, startPlatformServer, steppingClock, type PlatformServer } from './support/model-fixtures.js';

let t: PlatformServer;
/** A trained model with 5 epochs of Ultralytics 8.3 metrics. */
let trained: Model;
/** A trained model whose job has stored no epoch yet. */
let noEpochs: Model;
/** An uploaded model: no job. */
let uploaded: Model;

const get = (path: string) => rawRequest(t.url, 'GET', path);

beforeAll(async () => {
  t = await startPlatformServer({ clock: steppingClock() });
  uploaded = await t.platform.models.register({ task: 'detect', source: 'uploaded', classes: [], weights: [{ filename: 'best.onnx', body: FIXTURE_ONNX() }] });
  noEpochs = await registerTrainedModel(t.platform, 'job_empty', 0);
  trained = await registerTrainedModel(t.platform, 'job_x', 5, { name: 'five epochs' });
});
afterAll(async () => t?.close());

describe('GET /models', () => {
  test('lists every model newest first with file_size and file_size_mb', async () => {
    const res = await get('/models');
    expect(res.status).toBe(200);
    const { models } = res.json as { models: Model[] };
    expect(models.map((m) => m.model_id)).toEqual([trained.model_id, noEpochs.model_id, uploaded.model_id]);
    const size = FIXTURE_ONNX().length;
    for (const m of models) expect(m).toMatchObject({ file_size: size, file_size_mb: Math.round((size / 1048576) * 100) / 100 });
    expect(models.find((m) => m.model_id === trained.model_id)).toMatchObject({ job_id: 'job_x', classes: ['cat', 'dog'], base_model: 'yolov8n.pt', name: 'five epochs' });
  });
});

describe('GET /models/{model_id}', () => {
  test('includes training_history arrays of every epoch and final_metrics from the last one', async () => {
    const res = await get(`/models/${trained.model_id}`);
    expect(res.status).toBe(200);
    const body = res.json as Model & { training_metrics: { training_history: Record<string, unknown> } };
    expect(body).toMatchObject({ model_id: trained.model_id, job_id: 'job_x', file_size: trained.file_size });
    const h = body.training_metrics.training_history;
    expect(h['epochs']).toEqual([1, 2, 3, 4, 5]);
    for (const key of ['train_box_loss', 'train_cls_loss', 'train_dfl_loss', 'val_box_loss', 'val_cls_loss', 'val_dfl_loss',
      'metrics_precision', 'metrics_recall', 'metrics_mAP50', 'metrics_mAP50_95']) {
      expect(h[key], key).toHaveLength(5);
    }
    expect((h['train_box_loss'] as number[])[0]).toBeCloseTo(1.4);
    expect(h['final_metrics']).toEqual({ mAP50: expect.closeTo(0.85, 9), mAP50_95: expect.closeTo(0.7, 9), precision: expect.closeTo(0.9, 9), recall: expect.closeTo(0.8, 9) });
  });

  test('has training_history null while the job has stored no epoch', async () => {
    const res = await get(`/models/${noEpochs.model_id}`);
    expect(res.status).toBe(200);
    expect((res.json as Record<string, unknown>)['training_metrics']).toEqual({ training_history: null });
  });

  test('leaves training_metrics out for a model without a job', async () => {
    const res = await get(`/models/${uploaded.model_id}`);
    expect(res.status).toBe(200);
    expect(res.json).not.toHaveProperty('training_metrics');
  });

  test('returns 404 "Model not found" as {detail} for an unknown id', async () => {
    const res = await get('/models/model_nope');
    expect(res.status).toBe(404);
    expect(res.json).toMatchObject({ detail: 'Model not found' });
  });

  test('returns 400 for an id that is not a plain id', async () => {
    const res = await get('/models/a%2E%2E%2Fb');
    expect(res.status).toBe(400);
  });
});

describe('PUT /models/{model_id}', () => {
  test('sets the non-null fields, keeps the others, and stamps updated_at', async () => {
    const res = await rawRequest(t.url, 'PUT', `/models/${uploaded.model_id}`, jsonInit({ name: 'renamed', description: null, tags: ['x', 'y'] }));
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ model_id: uploaded.model_id, name: 'renamed', tags: ['x', 'y'], updated_at: expect.any(String) });
    expect(res.json).not.toHaveProperty('description');
    const again = await rawRequest(t.url, 'PUT', `/models/${uploaded.model_id}`, jsonInit({ description: 'd' }));
    expect(again.json).toMatchObject({ name: 'renamed', description: 'd', tags: ['x', 'y'] });
  });

  test('returns 422 for a body of the wrong type and 404 for an unknown model', async () => {
    expect((await rawRequest(t.url, 'PUT', `/models/${uploaded.model_id}`, jsonInit({ tags: 'x' }))).status).toBe(422);
    const missing = await rawRequest(t.url, 'PUT', '/models/model_nope', jsonInit({ name: 'n' }));
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ detail: 'Model not found' });
  });
});

describe('GET /models/{model_id}/charts', () => {
  const cases = [
    { chartType: 'loss', query: '?chart_type=loss', width: 2700, height: 750 },
    { chartType: 'metrics', query: '?chart_type=metrics', width: 2100, height: 1500 },
    { chartType: 'all', query: '', width: 2700, height: 2250 },
  ];
  test.each(cases)('returns a $width×$height PNG attachment for chart_type=$chartType', async ({ chartType, query, width, height }) => {
    const res = await get(`/models/${trained.model_id}/charts${query}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
    expect(attachmentFilename(res.headers['content-disposition'])).toBe(`${trained.model_id}_${chartType}.png`);
    const meta = await sharp(res.bytes).metadata();
    expect({ format: meta.format, width: meta.width, height: meta.height }).toEqual({ format: 'png', width, height });
    const { channels } = await sharp(res.bytes).stats();
    expect(channels.some((c) => c.min < 200), 'the chart draws something darker than the background').toBe(true);
  });

  test('returns 400 "Model has no associated training job" for a model without a job', async () => {
    const res = await get(`/models/${uploaded.model_id}/charts?chart_type=loss`);
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ detail: 'Model has no associated training job', code: 'no_training_job' });
  });

  test('returns 400 "Training results not found" while the job has no epoch', async () => {
    const res = await get(`/models/${noEpochs.model_id}/charts`);
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ detail: 'Training results not found', code: 'no_training_results' });
  });

  test('returns 422 for an unknown chart_type and 404 for an unknown model', async () => {
    const bad = await get(`/models/${trained.model_id}/charts?chart_type=bars`);
    expect(bad.status).toBe(422);
    expect(bad.json).toMatchObject({ detail: expect.stringContaining('chart_type') });
    expect((await get('/models/model_nope/charts')).status).toBe(404);
  });
});

describe('DELETE /models/{model_id}', () => {
  test('deletes the model and its weights and keeps the job\'s metrics', async () => {
    const doomed = await registerTrainedModel(t.platform, 'job_doomed', 2);
    const res = await rawRequest(t.url, 'DELETE', `/models/${doomed.model_id}`);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ ok: true, message: `Model ${doomed.model_id} deleted` });
    expect((await get(`/models/${doomed.model_id}`)).status).toBe(404);
    expect(await t.platform.blobs.stat(`models/${doomed.model_id}/weights/best.onnx`)).toBeUndefined();
    expect(await t.platform.jobMetrics.listEpochs('job_doomed')).toHaveLength(2);
    const again = await rawRequest(t.url, 'DELETE', `/models/${doomed.model_id}`);
    expect(again.status).toBe(404);
  });
});
