import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { ValidationError } from '../errors.js';
import type { EpochMetrics } from './metric-series.js';
import { toEChartsOption } from './to-echarts-option.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '__fixtures__', 'echarts');
const detect10 = JSON.parse(readFileSync(path.join(fixtures, 'detect-10-epochs.input.json'), 'utf8')) as EpochMetrics[];
const seed000 = JSON.parse(readFileSync(path.join(fixtures, 'seed000-10-epochs.input.json'), 'utf8')) as EpochMetrics[];
const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** Ultralytics 8.3 column names for the canonical keys of the fixture. */
const RAW_NAMES: Record<string, string> = {
  box_loss: 'train/box_loss', cls_loss: 'train/cls_loss', dfl_loss: 'train/dfl_loss', precision: 'metrics/precision(B)', recall: 'metrics/recall(B)',
  map50: 'metrics/mAP50(B)', map50_95: 'metrics/mAP50-95(B)', val_box_loss: 'val/box_loss', val_cls_loss: 'val/cls_loss', val_dfl_loss: 'val/dfl_loss', lr_pg0: 'lr/pg0',
};

function linear(n: number, metrics: (i: number) => Record<string, number | null>): EpochMetrics[] {
  return Array.from({ length: n }, (_, i) => ({ epoch: i + 1, metrics: metrics(i) }));
}

describe('toEChartsOption golden files', () => {
  test('10 Ultralytics epochs in zh (default) match echarts/detect-10-epochs.zh.json', async () => {
    await expect(json(toEChartsOption(detect10))).toMatchFileSnapshot(path.join(fixtures, 'detect-10-epochs.zh.json'));
  });

  test('10 Ultralytics epochs in en match echarts/detect-10-epochs.en.json', async () => {
    await expect(json(toEChartsOption(detect10, { locale: 'en' }))).toMatchFileSnapshot(path.join(fixtures, 'detect-10-epochs.en.json'));
  });

  test("seed 000's example rows (percentages) give its series values back, matching echarts/seed000-10-epochs.zh.json", async () => {
    const option = toEChartsOption(seed000, { metrics: ['loss', 'accuracy', 'recall', 'prec', 'f1'] });
    expect(option.series.map((line) => line.data.map(([, y]) => y))).toEqual(
      ['loss', 'accuracy', 'recall', 'prec', 'f1'].map((name) => seed000.map((row) => row.metrics[name])),
    );
    await expect(json(option)).toMatchFileSnapshot(path.join(fixtures, 'seed000-10-epochs.zh.json'));
  });
});

describe('toEChartsOption', () => {
  test('stored Ultralytics column names give the same option as canonical keys', () => {
    const raw = detect10.map(({ epoch, metrics }) => ({
      epoch,
      metrics: Object.fromEntries(Object.entries(metrics).map(([key, value]) => [RAW_NAMES[key] ?? key, value])),
    }));
    expect(toEChartsOption(raw)).toEqual(toEChartsOption(detect10));
  });

  test('is plain JSON: a JSON round trip changes nothing', () => {
    const option = toEChartsOption(linear(80, (i) => ({ loss: 1 / (i + 1), accuracy: i / 100 })));
    expect(JSON.parse(JSON.stringify(option))).toEqual(option);
  });

  test('charts only the requested metrics, in the requested order, with seed names accepted', () => {
    const option = toEChartsOption(detect10, { metrics: ['metrics/mAP50(B)', 'box_loss', 'map50', 'recall'], locale: 'en' });
    expect(option.series.map((s) => [s.name, s.yAxisIndex])).toEqual([['mAP@0.5', 1], ['Train Box Loss', 0], ['Recall', 1]]);
    expect(option.yAxis.map((axis) => [axis.name, axis.position, axis.min, axis.max])).toEqual([
      ['Loss', 'left', undefined, undefined],
      ['Percent (%)', 'right', 0, 100],
    ]);
  });

  test('percent metrics alone get one 0–100 axis at index 0 and are scaled ×100 without float noise', () => {
    const option = toEChartsOption(linear(3, () => ({ precision: 0.57 })), { metrics: ['precision'] });
    expect(option.yAxis).toHaveLength(1);
    expect(option.yAxis[0]).toMatchObject({ min: 0, max: 100 });
    expect(option.series[0]?.data).toEqual([[1, 57], [2, 57], [3, 57]]);
  });

  test('a percentage sent as 0–100 is charted like its fraction', () => {
    const option = toEChartsOption([{ epoch: 1, metrics: { accuracy: 93 } }, { epoch: 2, metrics: { accuracy: 0.95 } }]);
    expect(option.series[0]?.data).toEqual([[1, 93], [2, 95]]);
  });

  test('learning rates get their own axis, offset to the right', () => {
    const option = toEChartsOption(detect10, { metrics: ['loss', 'map50', 'lr/pg0'], locale: 'en' });
    expect(option.yAxis.map((axis) => [axis.name, axis.position, axis.offset])).toEqual([
      ['Loss', 'left', undefined],
      ['Percent (%)', 'right', undefined],
      ['Learning rate', 'right', 70],
    ]);
    expect(option.series[0]?.data).toEqual([]);
  });

  test('a requested metric the run never reported is an empty series, never invented numbers', () => {
    const option = toEChartsOption(detect10, { metrics: ['accuracy'] });
    expect(option.series).toEqual([{ name: '准确率', type: 'line', yAxisIndex: 0, showSymbol: false, data: [] }]);
  });

  test('an empty run gives no series and one value axis', () => {
    const option = toEChartsOption([]);
    expect(option.series).toEqual([]);
    expect(option.yAxis).toHaveLength(1);
    expect(option.dataZoom).toBeUndefined();
  });

  test('adds inside and slider dataZoom above 50 epochs, not at 50', () => {
    expect(toEChartsOption(linear(50, (i) => ({ loss: i }))).dataZoom).toBeUndefined();
    expect(toEChartsOption(linear(51, (i) => ({ loss: i }))).dataZoom).toEqual([
      { type: 'inside', xAxisIndex: 0 },
      { type: 'slider', xAxisIndex: 0 },
    ]);
  });

  test('rows with differing key lists: absent values are null, and names of one metric merge, canonical name first', () => {
    const given: EpochMetrics[] = [
      { epoch: 1, metrics: { loss: 1, 'metrics/mAP50(B)': 0.5 } },
      { epoch: 2, metrics: { 'metrics/mAP50(B)': 0.6, loss: 2, map50: 0.61 } },
      { epoch: 3, metrics: { loss: null, map50: null, 'metrics/mAP_0.5': 0.7 } },
      { epoch: 4, metrics: { recall: 0.3, loss: Number.NaN } },
    ];
    expect(toEChartsOption(given, { metrics: ['loss', 'map50', 'recall'] }).series.map((line) => line.data)).toEqual([
      [[1, 1], [2, 2], [3, null], [4, null]],
      [[1, 50], [2, 61], [3, 70], [4, null]],
      [[1, null], [2, null], [3, null], [4, 30]],
    ]);
  });

  test('sorts unsorted epochs and keeps the last row of a repeated epoch', () => {
    const given = [{ epoch: 3, metrics: { loss: 3 } }, { epoch: 1, metrics: { loss: 1 } }, { epoch: 3, metrics: { loss: 2.5 } }];
    expect(toEChartsOption(given).series[0]?.data).toEqual([[1, 1], [3, 2.5]]);
  });

  test('keeps 100k epochs to at most maxPoints per series, first and last epoch kept', () => {
    const n = 100_000;
    const given = linear(n, (i) => ({ box_loss: 2 / (1 + i / 1000) + ((i * 7919) % 13) / 100, map50: Math.min(1, i / n + ((i * 104729) % 7) / 100) }));
    const option = toEChartsOption(given, { maxPoints: 1500 });
    for (const line of option.series) {
      expect(line.data.length).toBeLessThanOrEqual(1500);
      expect(line.data.length).toBeGreaterThan(1000);
      expect(line.data[0]?.[0]).toBe(1);
      expect(line.data.at(-1)?.[0]).toBe(n);
      expect(line.showSymbol).toBe(false);
    }
    const last = given[n - 1]?.metrics ?? {};
    expect(option.series.map((line) => line.data.at(-1))).toEqual([[n, last['box_loss']], [n, Math.round((last['map50'] ?? 0) * 1e11) / 1e9]]);
  });

  test.each([2, 0, 10.5])('refuses maxPoints %s with a ValidationError', (maxPoints) => {
    expect(() => toEChartsOption(detect10, { maxPoints })).toThrow(ValidationError);
  });
});
