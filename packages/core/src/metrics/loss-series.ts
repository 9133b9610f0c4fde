import type { EpochMetricValues, EpochRecord, StepRecord } from '../jobs/metric-store.port.js';
import { lttbIndices } from './lttb.js';

/** The loss of one stored epoch: the total and the components it was summed from. */
export interface EpochLoss {
  /** Training loss: a reported `loss`, else the sum of the train components (YOLO: box + cls + dfl); null when a part is not finite, undefined when there is none. */
  loss: number | null | undefined;
  /** Validation loss the same way (`val_loss`, else the sum of the `val_*_loss` components). */
  val_loss: number | null | undefined;
  /** Every `*_loss` value of the epoch by canonical name (train and val). */
  components: Record<string, number | null>;
}

/** One point of a loss series: a stored epoch of one job. */
export interface LossPoint {
  /** 1-based position in the experiment: steps continue across its jobs. */
  step: number;
  /** The job's own epoch number. */
  epoch: number;
  loss: number | null;
  val_loss: number | null;
  components: Record<string, number | null>;
  job_id: string;
  /** When the server recorded the epoch. */
  timestamp: string;
  /** The trainer's own step (a fine-tune's logging step); absent for an epoch. */
  trainer_step?: number;
}

/** One run of a loss series: a detector's stored epochs, or a fine-tune's stored logging steps. */
export type LossRun = { job_id: string; epochs: readonly EpochRecord[] } | { job_id: string; steps: readonly StepRecord[] };

/** The summary of a series; null when no epoch has a finite loss. */
export interface LossSummary {
  initial_loss: number | null;
  final_loss: number | null;
  best_loss: number | null;
  best_step: number | null;
  final_val_loss: number | null;
  best_val_loss: number | null;
}

/** The loss curve of an experiment: every epoch counted, at most `budget` points returned. */
export interface LossSeries {
  total_steps: number;
  data: LossPoint[];
  metrics: LossSummary;
}

const isComponent = (key: string) => key !== 'loss' && key !== 'val_loss' && /_loss$/.test(key);

/** Sum of the values, null when one is null; undefined for none. */
function total(values: (number | null)[]): number | null | undefined {
  if (values.length === 0) return undefined;
  let sum = 0;
  for (const v of values) {
    if (v === null) return null;
    sum += v;
  }
  return sum;
}

/**
 * The loss of one epoch from its canonical metrics (see `canonicalMetricName`): a trainer's own `loss`
 * when it reports one (seed 004 callers), otherwise the sum of the training components — for Ultralytics
 * detection `box_loss + cls_loss + dfl_loss`, the total its trainer optimises. `val_loss` likewise.
 * @example epochLoss({ box_loss: 1, cls_loss: 2, dfl_loss: 0.5, val_box_loss: 1.5 }) // { loss: 3.5, val_loss: 1.5, components: {…} }
 */
export function epochLoss(metrics: EpochMetricValues): EpochLoss {
  const components: Record<string, number | null> = {};
  const train: (number | null)[] = [];
  const val: (number | null)[] = [];
  for (const [key, value] of Object.entries(metrics)) {
    if (!isComponent(key)) continue;
    components[key] = value;
    (key.startsWith('val_') ? val : train).push(value);
  }
  const loss = Object.hasOwn(metrics, 'loss') ? metrics.loss : total(train);
  const valLoss = Object.hasOwn(metrics, 'val_loss') ? metrics.val_loss : total(val);
  return { loss, val_loss: valLoss, components };
}

function summarize(points: readonly LossPoint[]): LossSummary {
  const valued = points.filter((p): p is LossPoint & { loss: number } => p.loss !== null);
  const best = valued.reduce<(LossPoint & { loss: number }) | undefined>((b, p) => (b === undefined || p.loss < b.loss ? p : b), undefined);
  const vals = points.map((p) => p.val_loss).filter((v): v is number => v !== null);
  return {
    initial_loss: valued[0]?.loss ?? null,
    final_loss: valued.at(-1)?.loss ?? null,
    best_loss: best?.loss ?? null,
    best_step: best?.step ?? null,
    final_val_loss: vals.at(-1) ?? null,
    best_val_loss: vals.length > 0 ? Math.min(...vals) : null,
  };
}

/** Indices kept under a budget: LTTB for 3 or more, else the last point (1) or the first and last (2). */
function keep(points: readonly LossPoint[], budget: number): number[] {
  const n = points.length;
  if (budget >= n) return points.map((_, i) => i);
  if (budget === 1) return [n - 1];
  if (budget === 2) return [0, n - 1];
  return lttbIndices(points.map((p) => p.step), points.map((p) => p.loss), budget);
}

const stepValue = (values: EpochMetricValues, name: string): number | null | undefined => (Object.hasOwn(values, name) ? values[name] : undefined);

/**
 * Points of a fine-tune's logging steps (LLaMA-Factory / HF Trainer names): `loss` the training loss,
 * `eval_loss` the validation loss, the integer part of the fractional `epoch` as the epoch; steps with neither loss are left out.
 */
function stepPoints(jobId: string, steps: readonly StepRecord[], before: number): LossPoint[] {
  const points: LossPoint[] = [];
  for (const record of steps) {
    const loss = stepValue(record.values, 'loss');
    const valLoss = stepValue(record.values, 'eval_loss') ?? stepValue(record.values, 'val_loss');
    if (loss === undefined && valLoss === undefined) continue;
    const epoch = record.values.epoch;
    points.push({
      step: before + points.length + 1, epoch: typeof epoch === 'number' ? Math.floor(epoch) : 0, loss: loss ?? null, val_loss: valLoss ?? null,
      components: {}, job_id: jobId, timestamp: record.recorded_at, trainer_step: record.step,
    });
  }
  return points;
}

/**
 * The loss series of an experiment: the stored epochs (a fine-tune: logging steps) of its jobs in the order given, steps numbered on
 * across jobs, each point's loss from `epochLoss`; epochs without any loss value are left out. The summary
 * and `total_steps` cover every epoch; `data` is thinned to `budget` points with Largest-Triangle-Three-
 * Buckets (first and last always kept).
 * @example lossSeries([{ job_id: 'job_1', epochs }], 100).metrics.best_loss
 */
export function lossSeries(runs: readonly LossRun[], budget: number): LossSeries {
  if (!Number.isInteger(budget) || budget < 1) throw new RangeError(`loss series: the point budget must be a positive integer (got ${budget})`);
  const points: LossPoint[] = [];
  for (const run of runs) {
    if ('steps' in run) {
      points.push(...stepPoints(run.job_id, run.steps, points.length));
      continue;
    }
    for (const record of run.epochs) {
      const { loss, val_loss: valLoss, components } = epochLoss(record.metrics);
      if (loss === undefined && valLoss === undefined) continue;
      points.push({
        step: points.length + 1, epoch: record.epoch, loss: loss ?? null, val_loss: valLoss ?? null, components, job_id: run.job_id, timestamp: record.recorded_at,
      });
    }
  }
  return { total_steps: points.length, data: keep(points, budget).map((i) => points[i] as LossPoint), metrics: summarize(points) };
}
