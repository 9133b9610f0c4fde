import type { MetricLabels } from './metric-names.js';
import type { EpochMetrics } from './metric-series.js';
import { toEChartsOption, type ChartLocale, type EChartsLineSeries } from './to-echarts-option.js';

/** The training charts S001 serves as PNG: `loss` (1×3 panels) and `metrics` (2×2 panels). */
export type TrainingChartType = 'loss' | 'metrics';

/** A chart ready to render: the ECharts option, its logical size, and the pixel ratio of the PNG. */
export interface TrainingChart {
  option: Record<string, unknown>;
  width: number;
  height: number;
  pixelRatio: number;
}

/** PNG sizes in pixels, as the origin's matplotlib figures (18×5 in and 14×10 in at 150 dpi); `all` stacks both. */
export const TRAINING_CHART_SIZES = {
  loss: { width: 2700, height: 750 },
  metrics: { width: 2100, height: 1500 },
  all: { width: 2700, height: 2250 },
} as const;

/** PNG pixels per ECharts pixel: 150 dpi over CSS's 96 dpi, rounded so the sizes stay whole numbers. */
const PIXEL_RATIO = 1.5;

interface PanelLine {
  key: string;
  symbol: 'circle' | 'rect' | 'triangle' | 'diamond';
  color: string;
}

interface Panel {
  title: MetricLabels;
  lines: readonly PanelLine[];
  /** Where the legend sits inside the plot: where the curves usually are not. */
  legend: 'top' | 'bottom';
}

/** Matplotlib's first two default colours, as each of the origin's loss panels uses them: train o, val s. */
const TRAIN = { symbol: 'circle', color: '#1f77b4' } as const;
const VAL = { symbol: 'rect', color: '#ff7f0e' } as const;

const LOSS_PANELS: readonly Panel[] = [
  { title: { zh: '边框损失', en: 'Box Loss' }, lines: [{ key: 'box_loss', ...TRAIN }, { key: 'val_box_loss', ...VAL }], legend: 'top' },
  { title: { zh: '分类损失', en: 'Classification Loss' }, lines: [{ key: 'cls_loss', ...TRAIN }, { key: 'val_cls_loss', ...VAL }], legend: 'top' },
  { title: { zh: 'DFL损失', en: 'DFL Loss' }, lines: [{ key: 'dfl_loss', ...TRAIN }, { key: 'val_dfl_loss', ...VAL }], legend: 'top' },
];

const METRIC_PANELS: readonly Panel[] = [
  { title: { zh: '精确率', en: 'Precision' }, lines: [{ key: 'precision', symbol: 'circle', color: '#0000ff' }], legend: 'bottom' },
  { title: { zh: '召回率', en: 'Recall' }, lines: [{ key: 'recall', symbol: 'rect', color: '#008000' }], legend: 'bottom' },
  { title: { zh: 'mAP@0.5', en: 'mAP@0.5' }, lines: [{ key: 'map50', symbol: 'triangle', color: '#ffa500' }], legend: 'bottom' },
  { title: { zh: 'mAP@0.5:0.95', en: 'mAP@0.5:0.95' }, lines: [{ key: 'map50_95', symbol: 'diamond', color: '#ff0000' }], legend: 'bottom' },
];

const LAYOUTS: Readonly<Record<TrainingChartType, { panels: readonly Panel[]; cols: number }>> = {
  loss: { panels: LOSS_PANELS, cols: 3 },
  metrics: { panels: METRIC_PANELS, cols: 2 },
};

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

interface Layout {
  title: object[];
  legend: object[];
  grid: object[];
  xAxis: object[];
  yAxis: object[];
  series: object[];
}

function styled(line: EChartsLineSeries, style: PanelLine | undefined, grid: number, yBase: number): object {
  const color = style ? { itemStyle: { color: style.color }, lineStyle: { color: style.color } } : {};
  return { ...line, xAxisIndex: grid, yAxisIndex: yBase + line.yAxisIndex, symbol: style?.symbol ?? 'circle', symbolSize: 7, ...color };
}

function addPanel(out: Layout, panel: Panel, box: Box, size: { width: number; height: number }, chart: { series: readonly EpochMetrics[]; locale: ChartLocale }): void {
  const option = toEChartsOption(chart.series, { metrics: panel.lines.map((line) => line.key), locale: chart.locale, title: panel.title[chart.locale] });
  const grid = out.grid.length;
  const yBase = out.yAxis.length;
  const right = size.width - (box.x + box.w) + 25;
  const bottom = size.height - (box.y + box.h) + 55;
  out.title.push({ text: option.title.text, left: box.x + box.w / 2, top: box.y + 12, textAlign: 'center' });
  out.grid.push({ left: box.x + 80, right, top: box.y + 60, bottom });
  const legendY = panel.legend === 'top' ? { top: box.y + 70 } : { bottom: bottom + 10 };
  out.legend.push({ data: option.legend.data, right: right + 10, orient: 'vertical', backgroundColor: '#ffffffcc', borderColor: '#cccccc', borderWidth: 1, padding: 8, ...legendY });
  out.xAxis.push({ ...option.xAxis, gridIndex: grid });
  for (const axis of option.yAxis) out.yAxis.push({ ...axis, gridIndex: grid });
  option.series.forEach((line, i) => out.series.push(styled(line, panel.lines[i], grid, yBase)));
}

/**
 * The ECharts option of one S001 training chart: `loss` = Box, Classification and DFL loss side by side
 * (train and val), `metrics` = Precision, Recall, mAP@0.5 and mAP@0.5:0.95 in a 2×2 grid — each panel
 * built with `toEChartsOption` — sized so that rendering at `pixelRatio` gives `TRAINING_CHART_SIZES`.
 * @example const { option, width, height, pixelRatio } = toTrainingChart(epochs, { chartType: 'loss', locale: 'en' });
 */
export function toTrainingChart(series: readonly EpochMetrics[], options: { chartType: TrainingChartType; locale?: ChartLocale }): TrainingChart {
  const { panels, cols } = LAYOUTS[options.chartType];
  const width = TRAINING_CHART_SIZES[options.chartType].width / PIXEL_RATIO;
  const height = TRAINING_CHART_SIZES[options.chartType].height / PIXEL_RATIO;
  const rows = Math.ceil(panels.length / cols);
  const out: Layout = { title: [], legend: [], grid: [], xAxis: [], yAxis: [], series: [] };
  panels.forEach((panel, i) => {
    const box = { x: (i % cols) * (width / cols), y: Math.floor(i / cols) * (height / rows), w: width / cols, h: height / rows };
    addPanel(out, panel, box, { width, height }, { series, locale: options.locale ?? 'zh' });
  });
  return { option: { backgroundColor: '#ffffff', tooltip: { trigger: 'axis' }, ...out }, width, height, pixelRatio: PIXEL_RATIO };
}
