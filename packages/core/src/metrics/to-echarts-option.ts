import { ValidationError } from '../errors.js';
import { lttbIndices } from './lttb.js';
import { metricInfo, percentToFraction, type MetricKind } from './metric-names.js';
import { metricWanted, pickMetricSources, readMetricTable, releaseMetricTable, sortByEpoch, sourceColumn, type EpochMetrics, type MetricSource } from './metric-series.js';

/** Language of chart labels: `zh` (seed 000's text, the default) or `en`. */
export type ChartLocale = 'zh' | 'en';

/** Options of `toEChartsOption`. */
export interface EChartsOptionOptions {
  /** Metrics to chart, any names (canonicalised); default: every metric in the series but learning rates and `time`, in display order. */
  metrics?: readonly string[];
  locale?: ChartLocale;
  /** Most points per series; longer series are downsampled with LTTB (default 2000, at least 3). */
  maxPoints?: number;
  title?: string;
}

/** One line of the chart: `[epoch, value]` pairs, `null` where the epoch has no value. */
export interface EChartsLineSeries {
  name: string;
  type: 'line';
  yAxisIndex: number;
  showSymbol: boolean;
  data: [number, number | null][];
}

/** A y-axis of the chart, one per metric kind present. */
export interface EChartsValueAxis {
  type: 'value';
  name: string;
  position: 'left' | 'right';
  nameLocation: 'middle';
  nameGap: number;
  offset?: number;
  min?: number;
  max?: number;
  scale?: boolean;
}

/** The ECharts option built from training metrics: plain JSON, no functions. */
export interface MetricsChartOption {
  title: { text: string; left: 'center' };
  tooltip: { trigger: 'axis' };
  legend: { data: string[]; top: number };
  grid: { left: number; right: number; top: number; bottom: number; containLabel: true };
  toolbox: { feature: { saveAsImage: Record<string, never> } };
  xAxis: { type: 'value'; name: string; nameLocation: 'middle'; nameGap: number; min: 'dataMin'; max: 'dataMax'; minInterval: 1 };
  yAxis: EChartsValueAxis[];
  dataZoom?: [{ type: 'inside'; xAxisIndex: 0 }, { type: 'slider'; xAxisIndex: 0 }];
  series: EChartsLineSeries[];
}

/** Default chart title per locale (seed 000's `模型训练指标趋势`). */
export const DEFAULT_CHART_TITLE: Readonly<Record<ChartLocale, string>> = { zh: '模型训练指标趋势', en: 'Training metrics' };

const TEXT = {
  zh: { epoch: '轮次', loss: '损失', percent: '百分比 (%)', lr: '学习率', other: '数值' },
  en: { epoch: 'Epoch', loss: 'Loss', percent: 'Percent (%)', lr: 'Learning rate', other: 'Value' },
} as const;

const AXIS_ORDER: readonly MetricKind[] = ['loss', 'percent', 'lr', 'other'];
const ZOOM_AFTER_EPOCHS = 50;
const SYMBOLS_UP_TO = 50;

/** A percent metric's fraction as shown on the 0–100 axis, without float noise (0.57 → 57, not 56.99999999999999). */
const toPercent = (fraction: number): number => Math.round(fraction * 1e11) / 1e9;

function axisFor(kind: MetricKind, index: number, locale: ChartLocale): EChartsValueAxis {
  const axis: EChartsValueAxis = { type: 'value', name: TEXT[locale][kind], position: index === 0 ? 'left' : 'right', nameLocation: 'middle', nameGap: 50 };
  if (index > 1) axis.offset = (index - 1) * 70;
  if (kind === 'percent') return { ...axis, min: 0, max: 100 };
  return { ...axis, scale: true };
}

/** One line from the metric's column `ys` (`undefined`: never reported; percent values become fractions in place), LTTB-downsampled above `maxPoints`. */
function buildSeries(xs: Float64Array, ys: Float64Array | undefined, source: MetricSource, axis: number, maxPoints: number, locale: ChartLocale): EChartsLineSeries {
  const info = metricInfo(source.key);
  const percent = info.kind === 'percent';
  const base = { name: info.labels[locale], type: 'line' as const, yAxisIndex: axis };
  if (!ys) return { ...base, showSymbol: false, data: [] };
  if (percent) {
    // A local binding: some loaders (tsx, which runs the bench) compile each use of an import to a
    // getter call, which V8 did not inline in this loop of a value per epoch (~2 ms per 100k-epoch chart).
    const toFraction = percentToFraction;
    for (let i = 0; i < ys.length; i++) ys[i] = toFraction(ys[i] as number);
  }
  const n = ys.length;
  const keep = n > maxPoints ? lttbIndices(xs, ys, maxPoints) : undefined;
  const count = keep ? keep.length : n;
  const data = new Array<[number, number | null]>(count);
  for (let k = 0; k < count; k++) {
    const i = keep ? (keep[k] as number) : k;
    const y = ys[i] as number;
    data[k] = [xs[i] as number, Number.isNaN(y) ? null : percent ? toPercent(y) : y];
  }
  return { ...base, showSymbol: count <= SYMBOLS_UP_TO, data };
}

function checkMaxPoints(maxPoints: number): number {
  if (!Number.isInteger(maxPoints) || maxPoints < 3) {
    throw new ValidationError(`maxPoints must be an integer of at least 3 (got ${maxPoints})`, { reason: 'invalid_max_points' });
  }
  return maxPoints;
}

/**
 * ECharts line-chart option for training metrics: any subset of metrics, loss-kind metrics on a left
 * y-axis and percent metrics (stored as fractions) on a 0–100 axis at the right (learning rates and
 * other metrics get axes of their own), x = epoch, `dataZoom` when there are more than 50 epochs, and
 * each series downsampled with LTTB to at most `maxPoints` points (first and last epoch kept).
 * @see https://echarts.apache.org/en/option.html
 * @example toEChartsOption([{ epoch: 1, metrics: { loss: 0.9, accuracy: 0.41 } }], { locale: 'en' })
 */
export function toEChartsOption(series: readonly EpochMetrics[], options: EChartsOptionOptions = {}): MetricsChartOption {
  const locale = options.locale ?? 'zh';
  const maxPoints = checkMaxPoints(options.maxPoints ?? 2000);
  const rows = sortByEpoch(series);
  const table = readMetricTable(rows, metricWanted(options.metrics));
  const sources = pickMetricSources(table.sources, options.metrics);
  const kinds = AXIS_ORDER.filter((kind) => sources.some((source) => metricInfo(source.key).kind === kind));
  if (kinds.length === 0) kinds.push('loss');
  const lines = sources.map((source) => buildSeries(table.epochs, sourceColumn(table, source), source, kinds.indexOf(metricInfo(source.key).kind), maxPoints, locale));
  releaseMetricTable(table); // the lines hold copies of the values: the next chart may reuse the columns' memory
  const zoom = rows.length > ZOOM_AFTER_EPOCHS;
  const option: MetricsChartOption = {
    title: { text: options.title ?? DEFAULT_CHART_TITLE[locale], left: 'center' },
    tooltip: { trigger: 'axis' },
    legend: { data: lines.map((line) => line.name), top: 34 },
    grid: { left: 50, right: 60 + Math.max(0, kinds.length - 2) * 70, top: 90, bottom: zoom ? 90 : 40, containLabel: true },
    toolbox: { feature: { saveAsImage: {} } },
    xAxis: { type: 'value', name: TEXT[locale].epoch, nameLocation: 'middle', nameGap: 30, min: 'dataMin', max: 'dataMax', minInterval: 1 },
    yAxis: kinds.map((kind, index) => axisFor(kind, index, locale)),
    series: lines,
  };
  if (zoom) option.dataZoom = [{ type: 'inside', xAxisIndex: 0 }, { type: 'slider', xAxisIndex: 0 }];
  return option;
}
