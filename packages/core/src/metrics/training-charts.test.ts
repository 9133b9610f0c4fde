import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import type { EpochMetrics } from './metric-series.js';
import { toTrainingChart, TRAINING_CHART_SIZES } from './training-charts.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '__fixtures__', 'echarts');
const detect10 = JSON.parse(readFileSync(path.join(fixtures, 'detect-10-epochs.input.json'), 'utf8')) as EpochMetrics[];

interface Built {
  title: { text: string }[];
  grid: unknown[];
  xAxis: { gridIndex: number }[];
  yAxis: { gridIndex: number; name: string }[];
  series: { name: string; xAxisIndex: number; yAxisIndex: number; symbol: string; itemStyle: { color: string }; data: [number, number | null][] }[];
}

describe('toTrainingChart', () => {
  test.each([
    { chartType: 'loss', want: { width: 1800, height: 500, panels: 3 } },
    { chartType: 'metrics', want: { width: 1400, height: 1000, panels: 4 } },
  ] as const)('$chartType renders at the origin PNG size through pixelRatio, one grid per panel', ({ chartType, want }) => {
    const chart = toTrainingChart(detect10, { chartType, locale: 'en' });
    expect([chart.width * chart.pixelRatio, chart.height * chart.pixelRatio]).toEqual([TRAINING_CHART_SIZES[chartType].width, TRAINING_CHART_SIZES[chartType].height]);
    expect([chart.width, chart.height]).toEqual([want.width, want.height]);
    const option = chart.option as unknown as Built;
    expect(option.grid).toHaveLength(want.panels);
    expect(option.xAxis.map((axis) => axis.gridIndex)).toEqual([...Array(want.panels).keys()]);
    expect(option.yAxis.map((axis) => axis.gridIndex)).toEqual([...Array(want.panels).keys()]);
  });

  test('loss: Box, Classification and DFL panels, each with train (circle) and val (square) lines', () => {
    const option = toTrainingChart(detect10, { chartType: 'loss', locale: 'en' }).option as unknown as Built;
    expect(option.title.map((title) => title.text)).toEqual(['Box Loss', 'Classification Loss', 'DFL Loss']);
    expect(option.series.map((line) => [line.name, line.xAxisIndex, line.yAxisIndex, line.symbol])).toEqual([
      ['Train Box Loss', 0, 0, 'circle'], ['Val Box Loss', 0, 0, 'rect'],
      ['Train Cls Loss', 1, 1, 'circle'], ['Val Cls Loss', 1, 1, 'rect'],
      ['Train DFL Loss', 2, 2, 'circle'], ['Val DFL Loss', 2, 2, 'rect'],
    ]);
    expect(option.yAxis.map((axis) => axis.name)).toEqual(['Loss', 'Loss', 'Loss']);
    expect(option.series[1]?.data[2]).toEqual([3, null]);
  });

  test('metrics: Precision blue o, Recall green s, mAP@0.5 orange ^, mAP@0.5:0.95 red d, as percentages', () => {
    const option = toTrainingChart(detect10, { chartType: 'metrics', locale: 'en' }).option as unknown as Built;
    expect(option.title.map((title) => title.text)).toEqual(['Precision', 'Recall', 'mAP@0.5', 'mAP@0.5:0.95']);
    expect(option.series.map((line) => [line.symbol, line.itemStyle.color])).toEqual([
      ['circle', '#0000ff'], ['rect', '#008000'], ['triangle', '#ffa500'], ['diamond', '#ff0000'],
    ]);
    expect(option.series[2]?.data.at(-1)).toEqual([10, 65.968]);
  });

  test('labels follow the locale, Chinese by default', () => {
    const option = toTrainingChart(detect10, { chartType: 'loss' }).option as unknown as Built;
    expect(option.title.map((title) => title.text)).toEqual(['边框损失', '分类损失', 'DFL损失']);
    expect(option.series[0]?.name).toBe('训练边框损失');
  });

  test('a run without metrics still builds every panel, with empty lines', () => {
    const option = toTrainingChart([], { chartType: 'metrics', locale: 'en' }).option as unknown as Built;
    expect(option.series.map((line) => line.data)).toEqual([[], [], [], []]);
  });
});
