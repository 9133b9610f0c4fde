import { metricInfo } from './metric-names.js';
import { collectMetricSources, readMetric, sortByEpoch, type EpochMetrics, type MetricSource } from './metric-series.js';
import { DEFAULT_CHART_TITLE, type ChartLocale } from './to-echarts-option.js';

/** Seed 000's `metrics_data`: epochs and one array per metric, percentages as 0–100 (`null` = no value). */
export interface Seed000MetricsData {
  epochs: number[];
  loss: (number | null)[];
  accuracy: (number | null)[];
  recall: (number | null)[];
  prec: (number | null)[];
  f1: (number | null)[];
}

/** Seed 000's `chart_config`: title, legend labels and x-axis labels (`第N轮`). */
export interface Seed000ChartConfig {
  title: string;
  legend: string[];
  x_axis: string[];
}

/** Epoch range of seed 000's query: `start_epoch` (default 1) to `end_epoch` (0 or absent = no upper bound). */
export interface EpochRange {
  start_epoch?: number;
  end_epoch?: number;
}

type Seed000Column = Exclude<keyof Seed000MetricsData, 'epochs'>;

/** Seed 000's columns in the seed's order, each with its canonical metric. */
export const SEED000_METRICS: readonly (readonly [Seed000Column, string])[] = [
  ['loss', 'loss'],
  ['accuracy', 'accuracy'],
  ['recall', 'recall'],
  ['prec', 'precision'],
  ['f1', 'f1'],
];

const round = (value: number, digits: number): number => {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
};

function column(rows: readonly EpochMetrics[], source: MetricSource | undefined, percent: boolean): (number | null)[] {
  return rows.map((row) => {
    const value = source ? readMetric(row, source, percent) : Number.NaN;
    if (Number.isNaN(value)) return null;
    return percent ? round(value * 100, 3) : round(value, 6);
  });
}

/**
 * Seed 000's `metrics_data` for the epochs in range: `loss` as stored (6 decimals, like the seed's
 * DECIMAL(10,6)), `accuracy`/`recall`/`prec`/`f1` as percentages with 3 decimals (DECIMAL(6,3)); a
 * metric the run never reported is all `null` — nothing is derived or invented (a YOLO detection run
 * has `recall` and `prec` but no single `loss`, `accuracy` or `f1`).
 * @example toSeed000MetricsData([{ epoch: 1, metrics: { loss: 1.832, accuracy: 0.32145 } }], {}) // { epochs: [1], loss: [1.832], accuracy: [32.145], … }
 */
export function toSeed000MetricsData(series: readonly EpochMetrics[], range: EpochRange = {}): Seed000MetricsData {
  const start = range.start_epoch ?? 1;
  const end = range.end_epoch ?? 0;
  const rows = sortByEpoch(series).filter((row) => row.epoch >= start && (end === 0 || row.epoch <= end));
  const sources = new Map(collectMetricSources(rows).map((source) => [source.key, source]));
  const data: Seed000MetricsData = { epochs: rows.map((row) => row.epoch), loss: [], accuracy: [], recall: [], prec: [], f1: [] };
  for (const [name, key] of SEED000_METRICS) data[name] = column(rows, sources.get(key), metricInfo(key).kind === 'percent');
  return data;
}

/**
 * Seed 000's `chart_config` for a `metrics_data`: `模型训练指标趋势`, the five legend labels
 * (`损失函数`, `准确率`, `召回率`, `精确率`, `F1分数`) and `第N轮` per epoch (English with `locale: 'en'`).
 */
export function toSeed000ChartConfig(data: Pick<Seed000MetricsData, 'epochs'>, locale: ChartLocale = 'zh'): Seed000ChartConfig {
  return {
    title: DEFAULT_CHART_TITLE[locale],
    legend: SEED000_METRICS.map(([, key]) => metricInfo(key).labels[locale]),
    x_axis: data.epochs.map((epoch) => (locale === 'zh' ? `第${epoch}轮` : `Epoch ${epoch}`)),
  };
}
