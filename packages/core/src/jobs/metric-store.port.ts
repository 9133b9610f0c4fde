/** Metric values of one epoch by metric name; `null` = reported but not a finite number. */
export type EpochMetricValues = Record<string, number | null>;

/** Who wrote an epoch row: the job attempt (1 + resumes) and when the server recorded it. */
export interface EpochMeta {
  attempt: number;
  recorded_at: string;
}

/** One stored epoch of one job. */
export interface EpochRecord extends EpochMeta {
  epoch: number;
  metrics: EpochMetricValues;
  /** Names whose reported value was NaN or ±Infinity (stored as `null`). */
  non_finite?: string[];
}

/** One stored logging step of one job (LLaMA-Factory / HF Trainer `logging_steps`): loss, eval_loss, lr, fractional epoch… */
export interface StepRecord extends EpochMeta {
  step: number;
  values: EpochMetricValues;
  /** Names whose reported value was NaN or ±Infinity (stored as `null`). */
  non_finite?: string[];
}

/** Per-job, per-epoch training metrics (one row per (job, epoch)) and per-step ones (one row per (job, step)). */
export interface MetricStore {
  /**
   * Stores one epoch, replacing the row of the same (job, epoch) unless that row came from a later
   * attempt (a late replay of an older attempt never overwrites a re-run). Values are checked with
   * `normalizeEpochMetrics`: NaN/±Infinity become `null` and are listed in `non_finite`; a bad epoch,
   * name or value type is a `ValidationError`. Returns false when the row was kept as it was.
   */
  upsertEpoch(jobId: string, epoch: number, metrics: EpochMetricValues, meta: EpochMeta): Promise<boolean>;
  /** Epochs of a job sorted by epoch, optionally limited to `start ≤ epoch ≤ end`. */
  listEpochs(jobId: string, range?: { start?: number; end?: number }): Promise<EpochRecord[]>;
  /**
   * Stores one logging step under the same rules as an epoch: a row of a later attempt is kept, the same
   * or a later attempt replaces it, NaN/±Infinity become `null` (`non_finite`), bad input is a
   * `ValidationError` (`normalizeStepMetrics`). Returns false when the row was kept as it was.
   */
  upsertStep(jobId: string, step: number, values: EpochMetricValues, meta: EpochMeta): Promise<boolean>;
  /** Steps of a job sorted by step, optionally limited to `start ≤ step ≤ end`. */
  listSteps(jobId: string, range?: { start?: number; end?: number }): Promise<StepRecord[]>;
  /** Removes every epoch and step of a job; returns how many rows went. */
  deleteJob(jobId: string): Promise<number>;
}
