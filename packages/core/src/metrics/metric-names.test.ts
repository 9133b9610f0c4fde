import { describe, expect, test } from 'vitest';
import {
  canonicalizeMetrics, canonicalMetricName, compareMetricKeys, KNOWN_METRIC_KEYS, metricInfo, normalizeMetricValue, slugifyMetricName,
} from './metric-names.js';

describe('canonicalMetricName', () => {
  const cases: { given: string; want: string }[] = [
    // Ultralytics 8.x results.csv (detect, segment, pose, classify)
    { given: 'metrics/mAP50(B)', want: 'map50' },
    { given: 'metrics/mAP50-95(B)', want: 'map50_95' },
    { given: 'metrics/precision(B)', want: 'precision' },
    { given: 'metrics/recall(B)', want: 'recall' },
    { given: 'metrics/precision(M)', want: 'mask_precision' },
    { given: 'metrics/mAP50-95(M)', want: 'mask_map50_95' },
    { given: 'metrics/mAP50(P)', want: 'pose_map50' },
    { given: 'metrics/accuracy_top1', want: 'accuracy_top1' },
    { given: 'train/box_loss', want: 'box_loss' },
    { given: 'train/cls_loss', want: 'cls_loss' },
    { given: 'train/dfl_loss', want: 'dfl_loss' },
    { given: 'train/seg_loss', want: 'seg_loss' },
    { given: 'train/loss', want: 'loss' },
    { given: 'val/box_loss', want: 'val_box_loss' },
    { given: 'val/dfl_loss', want: 'val_dfl_loss' },
    { given: 'val/pose_loss', want: 'val_pose_loss' },
    { given: 'val/loss', want: 'val_loss' },
    { given: 'lr/pg0', want: 'lr_pg0' },
    { given: 'lr/pg2', want: 'lr_pg2' },
    { given: '      metrics/mAP50(B)', want: 'map50' },
    // YOLOv5
    { given: 'metrics/mAP_0.5', want: 'map50' },
    { given: 'metrics/mAP_0.5:0.95', want: 'map50_95' },
    { given: 'metrics/mAP_0.5(M)', want: 'mask_map50' },
    { given: 'metrics/precision', want: 'precision' },
    { given: 'metrics/recall', want: 'recall' },
    { given: 'train/obj_loss', want: 'obj_loss' },
    { given: 'val/obj_loss', want: 'val_obj_loss' },
    { given: 'x/lr0', want: 'lr_pg0' },
    { given: 'x/lr2', want: 'lr_pg2' },
    // seed 004 (and its callback_url twin)
    { given: 'accuracy', want: 'accuracy' },
    { given: 'loss', want: 'loss' },
    { given: 'valAccuracy', want: 'val_accuracy' },
    { given: 'valLoss', want: 'val_loss' },
    { given: 'f1Score', want: 'f1' },
    { given: 'trainAccuracy', want: 'accuracy' },
    { given: 'trainLoss', want: 'loss' },
    // seed 000
    { given: 'recall', want: 'recall' },
    { given: 'prec', want: 'precision' },
    { given: 'f1', want: 'f1' },
    // common spellings
    { given: 'val_acc', want: 'val_accuracy' },
    { given: 'valF1Score', want: 'val_f1' },
    // unknown names pass through slugified
    { given: 'progressPercentage', want: 'progress_percentage' },
    { given: 'metrics/IoU(B)', want: 'iou' },
    { given: 'Custom Metric #2', want: 'custom_metric_2' },
    { given: 'train_speed', want: 'train_speed' },
    { given: '///', want: 'unnamed' },
    // names that are Object.prototype members stay ordinary names
    { given: 'constructor', want: 'constructor' },
    { given: '__proto__', want: 'proto' },
    { given: 'val_toString', want: 'val_to_string' },
    { given: 'train_hasOwnProperty', want: 'train_has_own_property' },
  ];
  test.each(cases)('$given → $want', ({ given, want }) => {
    expect(canonicalMetricName(given)).toBe(want);
  });

  test('is idempotent on every canonical key it produces', () => {
    for (const { want } of cases) expect(canonicalMetricName(want)).toBe(want);
  });
});

describe('slugifyMetricName', () => {
  test.each([
    { given: 'valAccuracy', want: 'val_accuracy' },
    { given: 'mAP_0.5:0.95', want: 'map_0_5_0_95' },
    { given: '  Box Loss  ', want: 'box_loss' },
  ])('$given → $want', ({ given, want }) => {
    expect(slugifyMetricName(given)).toBe(want);
  });
});

describe('metricInfo', () => {
  test.each([
    { given: 'loss', want: { kind: 'loss', labels: { zh: '损失函数', en: 'Loss' } } },
    { given: 'accuracy', want: { kind: 'percent', labels: { zh: '准确率', en: 'Accuracy' } } },
    { given: 'recall', want: { kind: 'percent', labels: { zh: '召回率', en: 'Recall' } } },
    { given: 'prec', want: { kind: 'percent', labels: { zh: '精确率', en: 'Precision' } } },
    { given: 'f1', want: { kind: 'percent', labels: { zh: 'F1分数', en: 'F1 Score' } } },
    { given: 'valLoss', want: { kind: 'loss', labels: { zh: '验证损失', en: 'Val Loss' } } },
    { given: 'valAccuracy', want: { kind: 'percent', labels: { zh: '验证准确率', en: 'Val Accuracy' } } },
    { given: 'train/box_loss', want: { kind: 'loss', labels: { zh: '训练边框损失', en: 'Train Box Loss' } } },
    { given: 'val/box_loss', want: { kind: 'loss', labels: { zh: '验证边框损失', en: 'Val Box Loss' } } },
    { given: 'pose_loss', want: { kind: 'loss', labels: { zh: '训练姿态损失', en: 'Train Pose Loss' } } },
    { given: 'metrics/mAP50-95(B)', want: { kind: 'percent', labels: { zh: 'mAP@0.5:0.95', en: 'mAP@0.5:0.95' } } },
    { given: 'metrics/mAP50(M)', want: { kind: 'percent', labels: { zh: '掩码 mAP@0.5', en: 'Mask mAP@0.5' } } },
    { given: 'lr/pg1', want: { kind: 'lr', labels: { zh: '学习率 pg1', en: 'Learning Rate pg1' } } },
    { given: 'time', want: { kind: 'other', labels: { zh: '耗时（秒）', en: 'Time (s)' } } },
    { given: 'train/rle_loss', want: { kind: 'loss', labels: { zh: 'rle_loss', en: 'rle_loss' } } },
    { given: 'lr_warmup', want: { kind: 'lr', labels: { zh: 'lr_warmup', en: 'lr_warmup' } } },
    { given: 'progressPercentage', want: { kind: 'other', labels: { zh: 'progress_percentage', en: 'progress_percentage' } } },
    { given: 'constructor', want: { kind: 'other', labels: { zh: 'constructor', en: 'constructor' } } },
    { given: 'val_valueOf', want: { kind: 'other', labels: { zh: 'val_value_of', en: 'val_value_of' } } },
  ])('$given is $want.kind', ({ given, want }) => {
    expect(metricInfo(given)).toEqual({ key: canonicalMetricName(given), ...want });
  });

  test('returns frozen objects, so a caller cannot corrupt the shared cache', () => {
    const info = metricInfo('accuracy');
    expect(Object.isFrozen(info) && Object.isFrozen(info.labels)).toBe(true);
    expect(metricInfo('accuracy')).toBe(info);
  });

  test('knows a kind and both labels for every base key', () => {
    for (const key of KNOWN_METRIC_KEYS) {
      const info = metricInfo(key);
      expect(info.key).toBe(key);
      expect(info.labels.zh.length * info.labels.en.length).toBeGreaterThan(0);
    }
  });
});

describe('normalizeMetricValue (percent metrics are stored as 0–1 fractions)', () => {
  test.each([
    { given: ['accuracy', 0.93], want: 0.93 },
    { given: ['accuracy', 93], want: 0.93 },
    { given: ['valAccuracy', 32.145], want: 0.32145 },
    { given: ['f1Score', 1], want: 1 },
    { given: ['recall', 100], want: 1 },
    { given: ['recall', 0], want: 0 },
    { given: ['prec', 100.5], want: 100.5 },
    { given: ['accuracy', -3], want: -3 },
    { given: ['metrics/mAP50(B)', 55], want: 0.55 },
    { given: ['loss', 93], want: 93 },
    { given: ['lr/pg0', 2], want: 2 },
    { given: ['progressPercentage', 50], want: 50 },
    { given: ['accuracy', Number.NaN], want: null },
    { given: ['loss', Number.POSITIVE_INFINITY], want: null },
    { given: ['loss', null], want: null },
    { given: ['loss', undefined], want: null },
  ] as { given: [string, number | null | undefined]; want: number | null }[])('$given → $want', ({ given, want }) => {
    expect(normalizeMetricValue(...given)).toBe(want);
  });
});

describe('canonicalizeMetrics', () => {
  test('renames, normalises, and keeps the first non-null value when two names share a key', () => {
    const given = { 'metrics/mAP_0.5': null, 'metrics/mAP50(B)': 0.61, 'metrics/mAP50': 0.7, valAccuracy: 93, 'custom thing': 4, f1Score: Number.NaN };
    expect(canonicalizeMetrics(given)).toEqual({ map50: 0.61, val_accuracy: 0.93, custom_thing: 4, f1: null });
  });

  test('keeps metrics named like Object.prototype members', () => {
    expect(canonicalizeMetrics({ constructor: 1, toString: 2 })).toEqual({ constructor: 1, to_string: 2 });
  });
});

describe('compareMetricKeys', () => {
  test('orders known metrics, val after train, mask after box, then learning rates, then the rest in input order', () => {
    const given = ['zeta', 'lr_pg1', 'val_box_loss', 'mask_map50', 'map50', 'box_loss', 'alpha', 'lr_pg0', 'precision', 'loss'];
    const want = ['loss', 'box_loss', 'val_box_loss', 'precision', 'map50', 'mask_map50', 'lr_pg0', 'lr_pg1', 'zeta', 'alpha'];
    expect([...given].sort(compareMetricKeys)).toEqual(want);
  });
});
