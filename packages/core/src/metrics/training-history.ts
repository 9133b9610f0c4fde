import { collectMetricSources, readMetric, sortByEpoch, type EpochMetrics, type MetricSource } from './metric-series.js';

/** `final_metrics` of S001's model detail: the last epoch's detection metrics, `null` where absent. */
export interface FinalMetrics {
  mAP50: number | null;
  mAP50_95: number | null;
  precision: number | null;
  recall: number | null;
}

/**
 * `training_metrics.training_history` of S001's `GET /models/{id}`: per-column arrays aligned with
 * `epochs`; a column no epoch has is left out, and `final_metrics` exists only with `metrics_mAP50`.
 */
export interface TrainingHistory {
  epochs?: number[];
  train_box_loss?: (number | null)[];
  train_cls_loss?: (number | null)[];
  train_dfl_loss?: (number | null)[];
  val_box_loss?: (number | null)[];
  val_cls_loss?: (number | null)[];
  val_dfl_loss?: (number | null)[];
  metrics_precision?: (number | null)[];
  metrics_recall?: (number | null)[];
  metrics_mAP50?: (number | null)[];
  metrics_mAP50_95?: (number | null)[];
  final_metrics?: FinalMetrics;
}

/** The `training_metrics` object of S001's model detail. */
export interface TrainingMetrics {
  training_history: TrainingHistory;
}

type HistoryColumn = Exclude<keyof TrainingHistory, 'epochs' | 'final_metrics'>;

/** The origin's column names (built from Ultralytics' results.csv) and the canonical metric of each, in the origin's order. */
const COLUMNS: readonly (readonly [HistoryColumn, string, boolean])[] = [
  ['train_box_loss', 'box_loss', false],
  ['train_cls_loss', 'cls_loss', false],
  ['train_dfl_loss', 'dfl_loss', false],
  ['val_box_loss', 'val_box_loss', false],
  ['val_cls_loss', 'val_cls_loss', false],
  ['val_dfl_loss', 'val_dfl_loss', false],
  ['metrics_precision', 'precision', true],
  ['metrics_recall', 'recall', true],
  ['metrics_mAP50', 'map50', true],
  ['metrics_mAP50_95', 'map50_95', true],
];

function column(rows: readonly EpochMetrics[], source: MetricSource, percent: boolean): (number | null)[] | undefined {
  let any = false;
  const values = rows.map((row) => {
    const value = readMetric(row, source, percent);
    if (Number.isNaN(value)) return null;
    any = true;
    return value;
  });
  return any ? values : undefined;
}

const last = (values: readonly (number | null)[] | undefined): number | null => (values && values.length > 0 ? (values[values.length - 1] ?? null) : null);

/**
 * S001's `training_history` from stored epochs, mirroring the origin's keys: `epochs`, then
 * `train_*_loss`, `val_*_loss`, `metrics_precision|recall|mAP50|mAP50_95` (fractions, as in results.csv)
 * aligned with `epochs` (`null` where an epoch lacks the value), columns no epoch has left out, and
 * `final_metrics` (the last epoch's values) only when `metrics_mAP50` is present.
 * @example toTrainingHistory([{ epoch: 1, metrics: { map50: 0.5 } }]) // { epochs: [1], metrics_mAP50: [0.5], final_metrics: { mAP50: 0.5, … } }
 */
export function toTrainingHistory(series: readonly EpochMetrics[]): TrainingHistory {
  const rows = sortByEpoch(series);
  const sources = new Map(collectMetricSources(rows).map((source) => [source.key, source]));
  const history: TrainingHistory = {};
  if (rows.length > 0) history.epochs = rows.map((row) => row.epoch);
  for (const [name, key, percent] of COLUMNS) {
    const source = sources.get(key);
    const values = source ? column(rows, source, percent) : undefined;
    if (values) history[name] = values;
  }
  if (history.metrics_mAP50) {
    history.final_metrics = {
      mAP50: last(history.metrics_mAP50),
      mAP50_95: last(history.metrics_mAP50_95),
      precision: last(history.metrics_precision),
      recall: last(history.metrics_recall),
    };
  }
  return history;
}

/** S001's `training_metrics` object: `{ training_history }` (see `toTrainingHistory`). */
export function toTrainingMetrics(series: readonly EpochMetrics[]): TrainingMetrics {
  return { training_history: toTrainingHistory(series) };
}
