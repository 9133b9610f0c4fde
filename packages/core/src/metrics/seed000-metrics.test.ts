import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import type { EpochMetrics } from './metric-series.js';
import { toSeed000ChartConfig, toSeed000MetricsData, type EpochRange, type Seed000MetricsData } from './seed000-metrics.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '__fixtures__', 'echarts');
const seed000 = JSON.parse(readFileSync(path.join(fixtures, 'seed000-10-epochs.input.json'), 'utf8')) as EpochMetrics[];

/** The `metrics_data` of seed 000's example response, verbatim. */
const SEED_EXAMPLE: Seed000MetricsData = {
  epochs: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  loss: [1.832, 1.221, 0.912, 0.745, 0.642, 0.578, 0.531, 0.499, 0.472, 0.83],
  accuracy: [32.145, 48.772, 58.334, 64.889, 68.776, 70.912, 71.889, 72.334, 72.667, 71.93],
  recall: [18.23, 32.45, 42.78, 49.11, 53.22, 55.67, 56.98, 57.66, 58.01, 58.02],
  prec: [25.67, 38.91, 47.33, 53.78, 57.89, 59.44, 60.12, 60.55, 60.78, 60.92],
  f1: [21.33, 35.41, 44.92, 51.34, 55.47, 57.49, 58.51, 59.07, 59.36, 59.43],
};

describe('toSeed000MetricsData', () => {
  test("reproduces seed 000's example metrics_data from its own rows", () => {
    expect(toSeed000MetricsData(seed000)).toEqual(SEED_EXAMPLE);
  });

  test('gives the same numbers when the rows were stored as fractions', () => {
    const fractions = seed000.map(({ epoch, metrics }) => ({
      epoch,
      metrics: Object.fromEntries(Object.entries(metrics).map(([name, value]) => [name, name === 'loss' ? value : (value ?? 0) / 100])),
    }));
    expect(toSeed000MetricsData(fractions)).toEqual(SEED_EXAMPLE);
  });

  const cases: { name: string; given: { series: EpochMetrics[]; range?: EpochRange }; want: Seed000MetricsData }[] = [
    { name: 'no epochs → empty arrays', given: { series: [] }, want: { epochs: [], loss: [], accuracy: [], recall: [], prec: [], f1: [] } },
    {
      name: 'start_epoch and end_epoch bound the epochs (inclusive)',
      given: { series: seed000, range: { start_epoch: 3, end_epoch: 4 } },
      want: { epochs: [3, 4], loss: [0.912, 0.745], accuracy: [58.334, 64.889], recall: [42.78, 49.11], prec: [47.33, 53.78], f1: [44.92, 51.34] },
    },
    {
      name: 'end_epoch 0 means no upper bound',
      given: { series: seed000, range: { start_epoch: 10, end_epoch: 0 } },
      want: { epochs: [10], loss: [0.83], accuracy: [71.93], recall: [58.02], prec: [60.92], f1: [59.43] },
    },
    {
      name: 'a YOLO detection run has recall and prec; loss, accuracy and f1 stay null (nothing derived)',
      given: { series: [{ epoch: 1, metrics: { 'train/box_loss': 1.2, 'metrics/recall(B)': 0.123456, 'metrics/precision(B)': 0.5, 'metrics/mAP50(B)': 0.4 } }] },
      want: { epochs: [1], loss: [null], accuracy: [null], recall: [12.346], prec: [50], f1: [null] },
    },
    {
      name: 'seed 004 names land on the same columns; loss keeps 6 decimals',
      given: { series: [{ epoch: 2, metrics: { loss: 0.123456789, accuracy: 0.93, valAccuracy: 0.9, f1Score: 0.8123456 } }] },
      want: { epochs: [2], loss: [0.123457], accuracy: [93], recall: [null], prec: [null], f1: [81.235] },
    },
  ];
  test.each(cases)('$name', ({ given, want }) => {
    expect(toSeed000MetricsData(given.series, given.range)).toEqual(want);
  });
});

describe('toSeed000ChartConfig', () => {
  test("matches seed 000's example chart_config", () => {
    expect(toSeed000ChartConfig(SEED_EXAMPLE)).toEqual({
      title: '模型训练指标趋势',
      legend: ['损失函数', '准确率', '召回率', '精确率', 'F1分数'],
      x_axis: ['第1轮', '第2轮', '第3轮', '第4轮', '第5轮', '第6轮', '第7轮', '第8轮', '第9轮', '第10轮'],
    });
  });

  test('speaks English on request', () => {
    expect(toSeed000ChartConfig({ epochs: [1, 2] }, 'en')).toEqual({
      title: 'Training metrics',
      legend: ['Loss', 'Accuracy', 'Recall', 'Precision', 'F1 Score'],
      x_axis: ['Epoch 1', 'Epoch 2'],
    });
  });
});
