import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import type { EpochMetrics } from './metric-series.js';
import { toTrainingHistory, toTrainingMetrics, type TrainingHistory } from './training-history.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '__fixtures__', 'echarts');
const detect10 = JSON.parse(readFileSync(path.join(fixtures, 'detect-10-epochs.input.json'), 'utf8')) as EpochMetrics[];

describe('toTrainingHistory', () => {
  const cases: { name: string; given: EpochMetrics[]; want: TrainingHistory }[] = [
    { name: 'no epochs → an empty history (every empty array is left out)', given: [], want: {} },
    {
      name: 'Ultralytics 8.3 columns under their stored names → the origin keys, in the origin order, with final_metrics',
      given: [
        { epoch: 1, metrics: { time: 12.4, 'train/box_loss': 1.87, 'train/cls_loss': 1.88, 'train/dfl_loss': 1.89, 'metrics/precision(B)': 0.12, 'metrics/recall(B)': 0.13, 'metrics/mAP50(B)': 0.14, 'metrics/mAP50-95(B)': 0.09, 'val/box_loss': 1.95, 'val/cls_loss': 1.96, 'val/dfl_loss': 1.97, 'lr/pg0': 0.0003 } },
        { epoch: 2, metrics: { time: 24.8, 'train/box_loss': 0.93, 'train/cls_loss': 0.94, 'train/dfl_loss': 0.95, 'metrics/precision(B)': 0.25, 'metrics/recall(B)': 0.26, 'metrics/mAP50(B)': 0.27, 'metrics/mAP50-95(B)': 0.18, 'val/box_loss': 1.01, 'val/cls_loss': 1.02, 'val/dfl_loss': 1.03, 'lr/pg0': 0.0006 } },
      ],
      want: {
        epochs: [1, 2],
        train_box_loss: [1.87, 0.93],
        train_cls_loss: [1.88, 0.94],
        train_dfl_loss: [1.89, 0.95],
        val_box_loss: [1.95, 1.01],
        val_cls_loss: [1.96, 1.02],
        val_dfl_loss: [1.97, 1.03],
        metrics_precision: [0.12, 0.25],
        metrics_recall: [0.13, 0.26],
        metrics_mAP50: [0.14, 0.27],
        metrics_mAP50_95: [0.09, 0.18],
        final_metrics: { mAP50: 0.27, mAP50_95: 0.18, precision: 0.25, recall: 0.26 },
      },
    },
    {
      name: 'YOLOv5 names map onto the same keys; a missing value is null so arrays stay aligned with epochs',
      given: [
        { epoch: 1, metrics: { 'train/box_loss': 0.1, 'train/obj_loss': 0.05, 'metrics/mAP_0.5': 0.3, 'metrics/mAP_0.5:0.95': null } },
        { epoch: 2, metrics: { 'train/box_loss': 0.08, 'train/obj_loss': 0.04, 'metrics/mAP_0.5': 0.4, 'metrics/mAP_0.5:0.95': 0.2 } },
      ],
      want: {
        epochs: [1, 2],
        train_box_loss: [0.1, 0.08],
        metrics_mAP50: [0.3, 0.4],
        metrics_mAP50_95: [null, 0.2],
        final_metrics: { mAP50: 0.4, mAP50_95: 0.2, precision: null, recall: null },
      },
    },
    {
      name: 'without mAP50 there is no final_metrics; a column with only nulls is left out',
      given: [{ epoch: 3, metrics: { box_loss: 1.5, precision: null } }],
      want: { epochs: [3], train_box_loss: [1.5] },
    },
    {
      name: 'final_metrics holds the last epoch, null when that epoch lacks the value; percentages become fractions',
      given: [
        { epoch: 2, metrics: { map50: 0.5, recall: 0.6 } },
        { epoch: 1, metrics: { map50: 40, recall: 0.5 } },
        { epoch: 3, metrics: { map50: 0.55, recall: null } },
      ],
      want: { epochs: [1, 2, 3], metrics_recall: [0.5, 0.6, null], metrics_mAP50: [0.4, 0.5, 0.55], final_metrics: { mAP50: 0.55, mAP50_95: null, precision: null, recall: null } },
    },
  ];
  test.each(cases)('$name', ({ given, want }) => {
    const history = toTrainingHistory(given);
    expect(history).toEqual(want);
    expect(Object.keys(history)).toEqual(Object.keys(want));
  });

  test('the 10-epoch fixture keeps every epoch and the gap at epoch 3', () => {
    const history = toTrainingHistory(detect10);
    expect(history.epochs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(history.val_box_loss?.[2]).toBeNull();
    expect(history.final_metrics).toEqual({ mAP50: 0.65968, mAP50_95: 0.44078, precision: 0.68467, recall: 0.60324 });
  });
});

describe('toTrainingMetrics', () => {
  test('wraps the history as S001 model detail reads it', () => {
    expect(toTrainingMetrics([{ epoch: 1, metrics: { map50: 0.5 } }])).toEqual({
      training_history: { epochs: [1], metrics_mAP50: [0.5], final_metrics: { mAP50: 0.5, mAP50_95: null, precision: null, recall: null } },
    });
  });
});
