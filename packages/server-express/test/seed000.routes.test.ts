import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Model } from '@yoloops/core';
import { rawRequest, type RawResponse } from './support/http.js';
import { FIXTURE_ONNX, registerTrainedModel, startPlatformServer, steppingClock, type PlatformServer } from './support/model-fixtures.js';

let t: PlatformServer;
/** 5 epochs of Ultralytics 8.3 metrics (precision/recall, no seed-style loss/accuracy/f1). */
let yolo: Model;
/** 10 epochs reported with seed 000's own names, as percentages. */
let seedStyle: Model;
/** Registered without any metrics. */
let empty: Model;

const SEED_ROWS = [
  [1.832, 32.145, 18.23, 25.67, 21.33], [1.221, 48.772, 32.45, 38.91, 35.41], [0.912, 58.334, 42.78, 47.33, 44.92],
  [0.745, 64.889, 49.11, 53.78, 51.34], [0.642, 68.776, 53.22, 57.89, 55.47], [0.578, 70.912, 55.67, 59.44, 57.49],
  [0.531, 71.889, 56.98, 60.12, 58.51], [0.499, 72.334, 57.66, 60.55, 59.07], [0.472, 72.667, 58.01, 60.78, 59.36],
  [0.83, 71.93, 58.02, 60.92, 59.43],
] as const;

const get = (path: string) => rawRequest(t.url, 'GET', path);
const dataOf = (res: RawResponse) => (res.json as { data: Record<string, unknown> }).data;

/** The S000 envelope: HTTP status = code, `{code, message, data}`. */
function expectEnvelope(res: RawResponse, code: number, message?: string): void {
  expect(res.status).toBe(code);
  expect(res.json).toMatchObject({ code, message: message ?? expect.any(String) });
  expect(res.json).toHaveProperty('data');
  if (code !== 200) expect((res.json as { data: unknown }).data).toBeNull();
}

beforeAll(async () => {
  t = await startPlatformServer({ clock: steppingClock() });
  yolo = await registerTrainedModel(t.platform, 'job_x', 5, { name: 'yolo run', description: 'five epochs' });
  seedStyle = await registerTrainedModel(t.platform, 'job_seed', 0, { name: 'ResNet50-Classification' });
  for (const [i, [loss, accuracy, recall, prec, f1]] of SEED_ROWS.entries()) {
    await t.platform.jobMetrics.upsertEpoch('job_seed', i + 1, { loss, accuracy, recall, prec, f1 }, { attempt: 1, recorded_at: '2025-01-01T00:00:00.000Z' });
  }
  empty = await t.platform.models.register({ task: 'detect', source: 'uploaded', classes: [], weights: [{ filename: 'best.onnx', body: FIXTURE_ONNX() }] });
});
afterAll(async () => t?.close());

describe('GET /api/models/{model_id}/training-metrics', () => {
  test("reproduces seed 000's example response from the seed's own rows", async () => {
    const res = await get(`/api/models/${seedStyle.model_id}/training-metrics`);
    expectEnvelope(res, 200, 'success');
    expect(dataOf(res)).toEqual({
      model_info: { model_id: seedStyle.model_id, model_name: 'ResNet50-Classification', description: '模型 ResNet50-Classification 的训练指标' },
      metrics_data: {
        epochs: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
        loss: SEED_ROWS.map((r) => r[0]), accuracy: SEED_ROWS.map((r) => r[1]), recall: SEED_ROWS.map((r) => r[2]),
        prec: SEED_ROWS.map((r) => r[3]), f1: SEED_ROWS.map((r) => r[4]),
      },
      chart_config: {
        title: '模型训练指标趋势',
        legend: ['损失函数', '准确率', '召回率', '精确率', 'F1分数'],
        x_axis: ['第1轮', '第2轮', '第3轮', '第4轮', '第5轮', '第6轮', '第7轮', '第8轮', '第9轮', '第10轮'],
      },
    });
  });

  test('bounds the epochs with start_epoch and end_epoch (inclusive); end_epoch=0 means no bound', async () => {
    const ranged = dataOf(await get(`/api/models/${seedStyle.model_id}/training-metrics?start_epoch=3&end_epoch=4`));
    expect(ranged['metrics_data']).toEqual({ epochs: [3, 4], loss: [0.912, 0.745], accuracy: [58.334, 64.889], recall: [42.78, 49.11], prec: [47.33, 53.78], f1: [44.92, 51.34] });
    expect(ranged['chart_config']).toMatchObject({ x_axis: ['第3轮', '第4轮'] });
    const open = dataOf(await get(`/api/models/${seedStyle.model_id}/training-metrics?start_epoch=9&end_epoch=0`));
    expect((open['metrics_data'] as { epochs: number[] }).epochs).toEqual([9, 10]);
  });

  test("resolves a trained model to its job's metrics: YOLO precision/recall as percent, metrics it never reported as null", async () => {
    const res = await get(`/api/models/${yolo.model_id}/training-metrics`);
    expectEnvelope(res, 200);
    const data = dataOf(res);
    expect(data['model_info']).toEqual({ model_id: yolo.model_id, model_name: 'yolo run', description: 'five epochs' });
    expect(data['metrics_data']).toEqual({
      epochs: [1, 2, 3, 4, 5], recall: [40, 50, 60, 70, 80], prec: [50, 60, 70, 80, 90],
      loss: [null, null, null, null, null], accuracy: [null, null, null, null, null], f1: [null, null, null, null, null],
    });
  });

  test('returns empty arrays, never invented numbers, for a model with no metrics', async () => {
    const res = await get(`/api/models/${empty.model_id}/training-metrics`);
    expectEnvelope(res, 200);
    expect(dataOf(res)).toMatchObject({
      model_info: { model_id: empty.model_id, model_name: empty.model_id },
      metrics_data: { epochs: [], loss: [], accuracy: [], recall: [], prec: [], f1: [] },
      chart_config: { title: '模型训练指标趋势', x_axis: [] },
    });
  });

  test('returns 404 模型不存在 with HTTP status 404 for an unknown model', async () => {
    expectEnvelope(await get('/api/models/model_nope/training-metrics'), 404, '模型不存在');
  });

  test.each([
    ['start_epoch=abc', /start_epoch/],
    ['end_epoch=-1', /end_epoch/],
    ['start_epoch=1.5', /start_epoch/],
    ['start_epoch=5&end_epoch=2', /greater than end_epoch/],
    ['start_epoch=99999999', /start_epoch/],
    ['locale=fr', /locale/],
  ])('returns 400 in the envelope for %s (no silent fallback)', async (query, message) => {
    const res = await get(`/api/models/${seedStyle.model_id}/training-metrics?${query}`);
    expectEnvelope(res, 400);
    expect((res.json as { message: string }).message).toMatch(message);
  });

  test('answers English labels with locale=en', async () => {
    const data = dataOf(await get(`/api/models/${seedStyle.model_id}/training-metrics?end_epoch=1&locale=en`));
    expect(data['chart_config']).toEqual({ title: 'Training metrics', legend: ['Loss', 'Accuracy', 'Recall', 'Precision', 'F1 Score'], x_axis: ['Epoch 1'] });
  });
});

interface Option {
  title: { text: string };
  legend: { data: string[] };
  series: { name: string; type: string; data: [number, number | null][] }[];
  yAxis: { name: string }[];
}

describe('GET /api/models/{model_id}/training-metrics/chart', () => {
  test('data is the ECharts option with the five seed metrics by default, in the seed order', async () => {
    const res = await get(`/api/models/${seedStyle.model_id}/training-metrics/chart`);
    expectEnvelope(res, 200, 'success');
    const option = dataOf(res) as unknown as Option;
    expect(option.title.text).toBe('模型训练指标趋势');
    expect(option.legend.data).toEqual(['损失函数', '准确率', '召回率', '精确率', 'F1分数']);
    expect(option.series.map((s) => s.type)).toEqual(['line', 'line', 'line', 'line', 'line']);
    expect(option.series[0]!.data).toEqual(SEED_ROWS.map((r, i) => [i + 1, r[0]]));
    expect(option.series[1]!.data[0]).toEqual([1, 32.145]);
    expect(option).toHaveProperty('tooltip.trigger', 'axis');
    expect(option).toHaveProperty('toolbox.feature.saveAsImage');
  });

  test('charts the requested subset in the requested order, range-bounded, ignoring unknown names', async () => {
    const res = await get(`/api/models/${seedStyle.model_id}/training-metrics/chart?metrics=f1,%20loss,,bogus&start_epoch=2&end_epoch=3`);
    const option = dataOf(res) as unknown as Option;
    expect(option.legend.data).toEqual(['F1分数', '损失函数']);
    expect(option.series.map((s) => s.data)).toEqual([[[2, 35.41], [3, 44.92]], [[2, 1.221], [3, 0.912]]]);
  });

  test('maps Ultralytics runs through canonical names: metrics=prec,recall,map50 charts the YOLO columns', async () => {
    const option = dataOf(await get(`/api/models/${yolo.model_id}/training-metrics/chart?metrics=prec,recall,map50`)) as unknown as Option;
    expect(option.legend.data).toEqual(['精确率', '召回率', 'mAP@0.5']);
    expect(option.series[2]!.data).toEqual([[1, 45], [2, 55], [3, 65], [4, 75], [5, 85]]);
  });

  test('a list with no valid names gives empty legend and series, not an error', async () => {
    const res = await get(`/api/models/${seedStyle.model_id}/training-metrics/chart?metrics=nope,,`);
    expectEnvelope(res, 200);
    const option = dataOf(res) as unknown as Option;
    expect({ legend: option.legend.data, series: option.series }).toEqual({ legend: [], series: [] });
  });

  test('a model with no metrics gets empty series, never invented numbers', async () => {
    const option = dataOf(await get(`/api/models/${empty.model_id}/training-metrics/chart`)) as unknown as Option;
    expect(option.series.length).toBe(5);
    for (const s of option.series) expect(s.data).toEqual([]);
  });

  test('returns 404 模型不存在 and 400 for a bad range, each in the envelope', async () => {
    expectEnvelope(await get('/api/models/model_nope/training-metrics/chart'), 404, '模型不存在');
    expectEnvelope(await get(`/api/models/${seedStyle.model_id}/training-metrics/chart?end_epoch=x`), 400);
    expectEnvelope(await get('/api/models/a%20b/training-metrics/chart'), 400);
  });
});
