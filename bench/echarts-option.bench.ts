/**
 * `toEChartsOption` on a long training run (issue 3 acceptance): a 100k-epoch series of the
 * Ultralytics results.csv columns, median of 20 runs after 3 warm-ups (target < 30 ms). Baseline for
 * a ratio: one `JSON.stringify` of the same series. The series is synthetic and built once.
 */
import { toEChartsOption, type EpochMetrics } from '@yoloops/core';
import { isQuickRun, log, type Bench, type BenchResult } from './support/bench.js';
import { median, round } from './support/stats.js';

const NAME = 'echarts-option';
const WARMUPS = 3;
const RUNS = 20;

/** Ultralytics detect results.csv columns (raw names, as the trainer agent posts them). */
const COLUMNS = [
  'train/box_loss', 'train/cls_loss', 'train/dfl_loss',
  'metrics/precision(B)', 'metrics/recall(B)', 'metrics/mAP50(B)', 'metrics/mAP50-95(B)',
  'val/box_loss', 'val/cls_loss', 'val/dfl_loss',
  'lr/pg0', 'lr/pg1', 'lr/pg2',
] as const;

/** Deterministic, noisy, converging curves: losses fall, fractions rise toward 1. */
function buildSeries(epochs: number): EpochMetrics[] {
  let seed = 0x9e3779b9;
  const noise = () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32 - 0.5;
  };
  const series: EpochMetrics[] = new Array(epochs);
  for (let i = 0; i < epochs; i++) {
    const t = i / epochs;
    const decay = Math.exp(-4 * t);
    const rise = 1 - decay;
    const metrics: Record<string, number> = {};
    for (const column of COLUMNS) {
      if (column.startsWith('lr/')) metrics[column] = 0.01 * (1 - t) + 1e-4;
      else if (column.startsWith('metrics/')) metrics[column] = Math.min(1, Math.max(0, 0.9 * rise + 0.03 * noise()));
      else metrics[column] = 0.3 + 2 * decay + 0.05 * noise();
    }
    series[i] = { epoch: i + 1, metrics };
  }
  return series;
}

export const bench: Bench = {
  name: NAME,
  async run(): Promise<BenchResult[]> {
    const epochs = isQuickRun() ? 10_000 : 100_000;
    const series = buildSeries(epochs);
    const stringify = performance.now();
    const json = JSON.stringify(series);
    const stringifyMs = performance.now() - stringify;
    log(NAME, `series of ${epochs} epochs × ${COLUMNS.length} columns (${(json.length / 2 ** 20).toFixed(1)} MiB JSON, stringify ${stringifyMs.toFixed(1)} ms)`);

    let points = 0;
    for (let i = 0; i < WARMUPS; i++) points = toEChartsOption(series).series.reduce((n, s) => n + s.data.length, 0);
    const runs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const start = performance.now();
      const option = toEChartsOption(series);
      runs.push(performance.now() - start);
      if (option.series.length === 0) throw new Error('toEChartsOption returned no series');
    }
    const ms = median(runs);
    const sorted = [...runs].sort((a, b) => a - b);
    return [
      {
        metric: 'toEChartsOption', value: round(ms), unit: 'ms', target: { op: '<', value: 30 },
        note: `${epochs} epochs × ${COLUMNS.length} columns → ${points} points, median of ${RUNS} after ${WARMUPS} warm-ups (min ${sorted[0]!.toFixed(1)}, max ${sorted.at(-1)!.toFixed(1)})`,
      },
      { metric: 'JSON.stringify series (baseline)', value: round(stringifyMs), unit: 'ms', note: `once, ${(json.length / 2 ** 20).toFixed(1)} MiB` },
      { metric: 'toEChartsOption ÷ stringify', value: round(ms / stringifyMs), unit: '×' },
    ];
  },
};
