import { Readable } from 'node:stream';
import { lttbIndices } from '@yoloops/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fixturePath, zipDirectory, zipFiles } from '../../../test/support/fixtures.js';
import { startTrainingServer, waitFor, type TrainingServer } from './support/training.js';

// Seed 002's training catalog, submit, jobs and loss routes over the real job service (SQLite in a temp
// dir, the scripted trainer as the trainer program).

let t: TrainingServer;
let projectId: number;
let datasetNumber: number;
let unpreparedId: string;
let ptModel: { id: string; number: number };
const job = async (ref: string | number) => (await t.get(`/api/v1/training/jobs/${ref}`)).json;
const until = (ref: string | number, statuses: string[]) => waitFor(() => job(ref), (j) => statuses.includes(j.status), 20_000);
const submit = (body: Record<string, unknown>) =>
  t.post('/api/v1/training/submit', { model_id: 'yolov8n.pt', dataset_id: datasetNumber, template_id: 'yolo-detect', project_id: projectId, experiment_name: 'exp-a', ...body });
/** Ultralytics-like epochs in canonical names: box, cls and dfl losses falling with the epoch. */
const epochMetrics = (epoch: number) => ({
  box_loss: 1.5 - epoch / 100, cls_loss: 2.5 - epoch / 50 + (epoch % 3) / 10, dfl_loss: 1.25, val_box_loss: 1.75 - epoch / 100, val_cls_loss: 2, val_dfl_loss: 1, map50: epoch / 100,
});
const store = async (jobId: string, epochs: number) => {
  for (let e = 1; e <= epochs; e++) await t.platform.jobMetrics.upsertEpoch(jobId, e, epochMetrics(e), { attempt: 1, recorded_at: new Date(Date.UTC(2026, 0, 1, 0, e)).toISOString() });
};
const lossOf = (e: number) => {
  const m = epochMetrics(e);
  return m.box_loss + m.cls_loss + m.dfl_loss;
};

beforeAll(async () => {
  t = await startTrainingServer({ epochMs: 100 });
  projectId = (await t.platform.projects.create({ name: 'detect-demo', owner_id: null })).id;
  datasetNumber = (await t.platform.resources.ensure('dataset', t.datasetId)).number;
}, 30_000);
afterAll(async () => t?.close());

describe('GET /api/v1/metrics/loss before any epoch', () => {
  test('answers 404 {detail} when no job has recorded an epoch, and for an unknown experiment', async () => {
    expect(await t.get('/api/v1/metrics/loss')).toMatchObject({ status: 404, json: { detail: 'No training job has recorded an epoch yet' } });
    expect(await t.get('/api/v1/metrics/loss?experiment_id=demo-exp-001')).toMatchObject({ status: 404, json: { detail: 'Experiment demo-exp-001 not found' } });
    expect(await t.get('/api/v1/metrics/loss/987')).toMatchObject({ status: 404, json: { detail: 'Experiment 987 not found' } });
  });
});

describe('GET /api/v1/training/models, /templates, /datasets', () => {
  test('models: the Ultralytics detectors by name and the registered models with PyTorch weights, nothing else', async () => {
    const pt = await t.platform.models.upload({ filename: 'ft.zip', body: Readable.from(await zipFiles({ 'weights/best.pt': 'checkpoint bytes' })) });
    const { status, json } = await t.get('/api/v1/training/models');
    expect(status).toBe(200);
    const ids = (json.models as Array<{ id: string }>).map((m) => m.id);
    expect(ids.slice(0, 10)).toEqual(['yolov8n.pt', 'yolov8s.pt', 'yolov8m.pt', 'yolov8l.pt', 'yolov8x.pt', 'yolo11n.pt', 'yolo11s.pt', 'yolo11m.pt', 'yolo11l.pt', 'yolo11x.pt']);
    expect(json.models[0]).toEqual({ id: 'yolov8n.pt', name: 'YOLOv8n', provider: 'ultralytics', size: '3.2M', flops: '8.7B', type: 'base', framework: 'ultralytics', task: 'detect' });
    const number = (await t.platform.resources.get('model', pt.model_id))!.number;
    ptModel = { id: pt.model_id, number };
    // Then the language base models of the shipped catalog (the fine-tune templates), then the registered models.
    expect(json.models.slice(10, 17).map((m: { id: string }) => m.id)).toEqual([
      'Qwen2.5-0.5B-Instruct', 'Qwen2.5-1.5B-Instruct', 'Qwen2.5-7B-Instruct', 'DeepSeek-R1-Distill-Qwen-1.5B', 'DeepSeek-R1-Distill-Qwen-7B', 'Llama-3.2-1B-Instruct', 'Llama-3.2-3B-Instruct',
    ]);
    expect(json.models[10]).toEqual({
      id: 'Qwen2.5-0.5B-Instruct', name: 'Qwen2.5 0.5B Instruct', provider: 'Qwen', size: '0.5B', type: 'base', framework: 'transformers', task: 'text-generation',
      trainer: 'llama-factory', model_name_or_path: 'Qwen/Qwen2.5-0.5B-Instruct', template: 'qwen', license: 'apache-2.0', default: true,
    });
    expect(json.models.slice(17)).toEqual([expect.objectContaining({ id: pt.model_id, number, type: 'fine-tune', framework: 'ultralytics', size: '16.00 B' })]);
  });

  test('templates: detection and fine-tuning, then the language-model fine-tunes, with the job request\'s real defaults and ranges', async () => {
    const { json } = await t.get('/api/v1/training/templates');
    expect(json.templates.map((x: { id: string }) => x.id)).toEqual(['yolo-detect', 'yolo-finetune', 'lora', 'qlora', 'full-finetune']);
    expect(json.templates[0]).toMatchObject({
      min_gpu_memory: expect.stringMatching(/CPU/), defaults: { epochs: 10, imgsz: 640, batch: -1 },
      params: { epochs: { type: 'integer', default: 10, minimum: 1, maximum: 100_000 }, imgsz: { type: 'integer', default: 640, minimum: 32, maximum: 8192 }, batch: { type: 'number', default: -1 } },
    });
  });

  test('datasets: the prepared ones with number, versions, split counts and classes', async () => {
    const unprepared = await t.platform.datasets.upload({ filename: 'unprepared.zip', body: Readable.from(await zipDirectory(fixturePath('datasets/coco8'))) });
    expect(unprepared.status).toBe('uploaded');
    unpreparedId = unprepared.dataset_id;
    const { json } = await t.get('/api/v1/training/datasets');
    const [record] = (await t.platform.datasets.list()).filter((d) => d.dataset_id === t.datasetId);
    expect(json.datasets).toEqual([
      expect.objectContaining({
        id: datasetNumber, dataset_id: t.datasetId, name: 'coco8', versions: ['v1'], version: 'v1', image_count: 8, rows: '8', train_count: 4, val_count: 4, test_count: 0,
        classes: record!.classes, num_classes: 80,
      }),
    ]);
  });
});

describe('POST /api/v1/training/submit', () => {
  test('queues a real job that trains to completion, listed in /training/jobs with its experiment, template and project', async () => {
    const res = await submit({ hyperparameters: { epochs: 2, imgsz: 320, batch: 4 } });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      message: '训练任务已提交',
      job: {
        job_id: expect.stringMatching(/^job_/), number: expect.any(Number), experiment_name: 'exp-a', model: { id: 'yolov8n.pt', name: 'YOLOv8n' },
        dataset_id: datasetNumber, dataset: t.datasetId, project_id: projectId, template: { id: 'yolo-detect' }, status: 'queued', progress: 0, queue_position: 1,
        config: { hyperparameters: { epochs: 2, imgsz: 320, batch: 4 } },
      },
    });
    const { job_id: jobId, number } = res.json.job;
    expect((await t.get(`/train/jobs/${jobId}`)).json).toMatchObject({ dataset_id: t.datasetId, model_name: 'yolov8n.pt', epochs: 2, imgsz: 320, batch: 4, base_model_id: null });
    const done = await until(number, ['completed', 'failed']);
    expect(done).toMatchObject({ job_id: jobId, id: number, status: 'completed', progress: 100, total_epochs: 2, experiment_name: 'exp-a', template: 'yolo-detect', project_id: projectId, model: 'YOLOv8n' });
    expect(done.logs.length).toBeGreaterThan(0);
    expect(await job(jobId)).toMatchObject({ job_id: jobId, number });
    const listed = (await t.get('/api/v1/training/jobs?status=completed')).json.jobs;
    expect(listed.map((j: { job_id: string }) => j.job_id)).toContain(jobId);
    expect((await t.get('/api/v1/training/jobs?status=running')).json.jobs.map((j: { job_id: string }) => j.job_id)).not.toContain(jobId);
    expect((await t.get('/api/v1/training/jobs?status=bogus')).status).toBe(422);
  }, 30_000);

  test('fine-tunes a registered model (by its number) with the yolo-finetune template', async () => {
    const res = await submit({ model_id: String(ptModel.number), template_id: 'yolo-finetune', experiment_name: 'ft', hyperparameters: { epochs: 1 } });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect(res.json.job).toMatchObject({ model_id: ptModel.id, model: { id: ptModel.id, number: ptModel.number, type: 'fine-tune' }, template: { id: 'yolo-finetune' } });
    expect((await t.get(`/train/jobs/${res.json.job.job_id}`)).json).toMatchObject({ base_model_id: ptModel.id, model_name: `${ptModel.id}_fine_tuned`, epochs: 1 });
    expect(await until(res.json.job.job_id, ['completed', 'failed'])).toMatchObject({ status: 'completed', model: ptModel.id, template: 'yolo-finetune' });
  }, 30_000);

  test('queue_position is 1 + the jobs queued before it', async () => {
    const blocker = (await submit({ experiment_name: 'blocker', hyperparameters: { epochs: 500 } })).json.job;
    await until(blocker.job_id, ['running']);
    const a = (await submit({ experiment_name: 'q', hyperparameters: { epochs: 1 } })).json.job;
    const b = (await submit({ experiment_name: 'q', hyperparameters: { epochs: 1 } })).json.job;
    expect([a.queue_position, b.queue_position]).toEqual([1, 2]);
    expect((await job(b.job_id)).queue_position).toBe(2);
    for (const id of [b.job_id, a.job_id, blocker.job_id]) expect((await t.post(`/train/jobs/${id}/stop`)).status).toBe(200);
  }, 30_000);

  test('422 FastAPI-style for a missing field, a bad value, an unsupported hyperparameter or a model the template does not start from', async () => {
    const missing = await t.post('/api/v1/training/submit', { dataset_id: datasetNumber, template_id: 'yolo-detect', project_id: projectId, experiment_name: 'x' });
    expect(missing.status).toBe(422);
    expect(missing.json.detail).toEqual([expect.objectContaining({ loc: ['body', 'model_id'] })]);
    const lr = await submit({ hyperparameters: { learning_rate: 2e-4, epochs: 1 } });
    expect(lr.status).toBe(422);
    expect(lr.json.detail[0]).toMatchObject({ loc: ['body', 'hyperparameters'], msg: expect.stringMatching(/learning_rate.*epochs, imgsz, batch/) });
    expect((await submit({ hyperparameters: { epochs: 0 } })).json.detail[0].loc).toEqual(['body', 'hyperparameters', 'epochs']);
    const mismatch = await submit({ template_id: 'yolo-finetune' });
    expect(mismatch).toMatchObject({ status: 422, json: { detail: [{ loc: ['body', 'template_id'], msg: expect.stringMatching(/yolo-detect/) }] } });
  });

  test('404 naming the unknown template, project, dataset, model or job; 409 for a dataset not prepared', async () => {
    expect(await submit({ template_id: 'lora-xl' })).toMatchObject({ status: 404, json: { detail: 'Template lora-xl not found' } });
    expect(await submit({ project_id: 999 })).toMatchObject({ status: 404, json: { detail: 'Project 999 not found' } });
    expect(await submit({ dataset_id: 999 })).toMatchObject({ status: 404, json: { detail: 'Dataset 999 not found' } });
    expect(await submit({ dataset_id: 'ds_nope' })).toMatchObject({ status: 404, json: { detail: 'Dataset ds_nope not found' } });
    expect(await submit({ model_id: 'llama2-7b', template_id: 'yolo-finetune' })).toMatchObject({ status: 404, json: { detail: 'Model llama2-7b not found' } });
    expect((await t.get('/api/v1/training/jobs/424242')).json).toMatchObject({ detail: 'Job 424242 not found' });
    expect(await submit({ dataset_id: unpreparedId })).toMatchObject({ status: 409, json: { detail: expect.stringMatching(/not prepared/) } });
  });
});

describe('GET /api/v1/metrics/loss', () => {
  test('a job\'s loss per stored epoch: the sum of box, cls and dfl, with val_loss and the components', async () => {
    const { job_id: jobId, number } = (await submit({ experiment_name: 'exp-loss', hyperparameters: { epochs: 1 } })).json.job;
    await until(jobId, ['completed']);
    await store(jobId, 30);
    const { status, json } = await t.get(`/api/v1/metrics/loss?experiment_id=${number}&steps=100`);
    expect(status).toBe(200);
    expect(json).toMatchObject({ experiment_id: String(number), experiment_name: 'exp-loss', jobs: [jobId], total_steps: 30 });
    expect(json.data.map((p: { loss: number }) => p.loss)).toEqual(Array.from({ length: 30 }, (_, i) => lossOf(i + 1)));
    expect(json.data[0]).toEqual({
      step: 1, epoch: 1, loss: lossOf(1), val_loss: 1.74 + 2 + 1, job_id: jobId, timestamp: '2026-01-01T00:01:00.000Z',
      components: { box_loss: 1.49, cls_loss: epochMetrics(1).cls_loss, dfl_loss: 1.25, val_box_loss: 1.74, val_cls_loss: 2, val_dfl_loss: 1 },
    });
    const losses = Array.from({ length: 30 }, (_, i) => lossOf(i + 1));
    const best = Math.min(...losses);
    expect(json.metrics).toMatchObject({ initial_loss: losses[0], final_loss: losses[29], best_loss: best, best_step: losses.indexOf(best) + 1 });
    // The same through the path form and the job id; a budget thins with LTTB and keeps both ends.
    expect((await t.get(`/api/v1/metrics/loss/${jobId}`)).json.data).toEqual(json.data);
    const thin = (await t.get(`/api/v1/metrics/loss/${jobId}?steps=7`)).json;
    expect(thin.total_steps).toBe(30);
    expect(thin.data.map((p: { step: number }) => p.step)).toEqual(lttbIndices(losses.map((_, i) => i + 1), losses, 7).map((i) => i + 1));
    expect(thin.metrics).toEqual(json.metrics);
    // Without experiment_id: the newest job with epochs.
    expect((await t.get('/api/v1/metrics/loss')).json).toMatchObject({ experiment_id: jobId, total_steps: 30 });
    expect((await t.get(`/api/v1/metrics/loss/${jobId}?steps=0`)).status).toBe(422);
    // The typed client reads the same answers.
    expect(await t.client.seed002.metrics.loss({ experiment_id: number, steps: 7 })).toEqual({ ...thin, experiment_id: String(number) });
    expect(await t.client.seed002.training.job(number)).toMatchObject({ job_id: jobId, status: 'completed', loss: losses[29], best_loss: best });
    expect((await t.client.seed002.training.jobs({ status: 'completed' })).jobs.map((j) => j.job_id)).toContain(jobId);
    expect((await t.client.seed002.metrics.summary()).experiments.find((e) => e.id === 'exp-loss')).toMatchObject({ jobs: [jobId], final_loss: losses[29] });
  }, 30_000);

  test('an experiment name groups its jobs in order, steps continuing; the summary has one row per experiment', async () => {
    const first = (await submit({ experiment_name: 'exp-two', hyperparameters: { epochs: 3 } })).json.job;
    const second = (await submit({ experiment_name: 'exp-two', hyperparameters: { epochs: 2 } })).json.job;
    await until(second.job_id, ['completed']);
    await until(first.job_id, ['completed']);
    await store(first.job_id, 3);
    await store(second.job_id, 2);
    const { json } = await t.get(`/api/v1/metrics/loss?experiment_id=exp-two`);
    expect(json.jobs).toEqual([first.job_id, second.job_id]);
    expect(json.data.map((p: { step: number; epoch: number; job_id: string }) => [p.step, p.epoch, p.job_id])).toEqual([
      [1, 1, first.job_id], [2, 2, first.job_id], [3, 3, first.job_id], [4, 1, second.job_id], [5, 2, second.job_id],
    ]);
    const { json: summary } = await t.get('/api/v1/metrics/metrics/summary');
    const row = summary.experiments.find((e: { id: string }) => e.id === 'exp-two');
    expect(row).toEqual({
      id: 'exp-two', name: 'exp-two', jobs: [first.job_id, second.job_id], status: 'completed', project_id: projectId,
      current_step: 5, total_steps: 5, current_loss: lossOf(2), final_loss: lossOf(2), best_loss: Math.min(lossOf(1), lossOf(2), lossOf(3)), eta: '0s',
    });
    expect(summary.experiments.map((e: { id: string }) => e.id)).toEqual(expect.arrayContaining(['exp-a', 'exp-loss', 'q', 'blocker']));
  }, 30_000);
});
