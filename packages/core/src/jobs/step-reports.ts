import { NotFoundError, ValidationError } from '../errors.js';
import type { Clock } from '../platform/clock.port.js';
import { normalizeStepMetrics } from './epoch-metrics.js';
import type { JobProgress } from './finetune.schema.js';
import type { JobStore } from './job-store.port.js';
import type { Job } from './job.schema.js';
import type { EpochMetricValues, MetricStore } from './metric-store.port.js';

/** Most step rows in one report (an agent sends what one read of trainer_log.jsonl found, in batches). */
export const MAX_STEPS_PER_REPORT = 1000;

/** One logging step as a trainer reported it. */
export interface StepReportRow {
  step: number;
  values: EpochMetricValues;
}

/** A batch of steps from one attempt, with the trainer's progress after them. */
export interface StepReport {
  rows: readonly StepReportRow[];
  /** Default: the job's current attempt. */
  attempt?: number;
  progress?: { percentage: number; current_steps: number; total_steps: number; remaining_time?: string };
}

const invalid = (message: string) => new ValidationError(message, { reason: 'invalid_step_report' });

function checkProgress(progress: NonNullable<StepReport['progress']>): void {
  const { percentage, current_steps: current, total_steps: total, remaining_time: remaining } = progress;
  if (typeof percentage !== 'number' || !Number.isFinite(percentage) || percentage < 0 || percentage > 100) throw invalid(`progress.percentage must be 0–100 (got ${String(percentage)})`);
  for (const [name, value] of [['current_steps', current], ['total_steps', total]] as const) {
    if (!Number.isSafeInteger(value) || value < 0) throw invalid(`progress.${name} must be a non-negative integer (got ${String(value)})`);
  }
  if (remaining !== undefined && (typeof remaining !== 'string' || remaining.length > 32)) throw invalid('progress.remaining_time must be a string of at most 32 characters');
}

/** The job's progress after this report: a newer attempt, or further on in the same one, wins. */
function progressPatch(current: Job, attempt: number, progress: NonNullable<StepReport['progress']>, at: string): Partial<Job> {
  const old = current.progress;
  if (attempt < current.attempt || (old !== undefined && (old.attempt > attempt || (old.attempt === attempt && old.current_steps > progress.current_steps)))) return {};
  const next: JobProgress = {
    percentage: progress.percentage, current_steps: progress.current_steps, total_steps: progress.total_steps,
    ...(progress.remaining_time === undefined ? {} : { remaining_time: progress.remaining_time }), attempt, updated_at: at,
  };
  return { progress: next };
}

/**
 * Step reports of a trainer (the agent following trainer_log.jsonl or trainer_state.json): every row is
 * checked before any is stored, rows are upserts keyed by (job, step) like epochs, and the job's
 * `progress` follows the report unless it is from an older attempt or behind what is stored.
 */
export function createStepReports(deps: { jobs: JobStore; metrics: MetricStore; clock: Clock }) {
  return {
    /** Stores a batch of steps; returns how many rows were written (a later attempt's rows are kept) and the attempt used; `superseded`: ignored, the job is on that newer attempt. */
    async recordSteps(jobId: string, report: StepReport): Promise<{ stored: number; attempt: number; superseded?: number }> {
      if (!Array.isArray(report.rows) || report.rows.length > MAX_STEPS_PER_REPORT) throw invalid(`rows must be a list of at most ${MAX_STEPS_PER_REPORT} steps`);
      for (const row of report.rows) normalizeStepMetrics(row.step, row.values, { attempt: report.attempt ?? 1, recorded_at: '' });
      if (report.progress !== undefined) checkProgress(report.progress);
      const job = await deps.jobs.get(jobId);
      if (job === undefined) throw new NotFoundError(`unknown training job ${JSON.stringify(jobId)}`, { reason: 'job_not_found', details: { job_id: jobId } });
      const attempt = report.attempt ?? job.attempt;
      // Fencing: an older attempt's late report stores nothing (its rows would otherwise fill steps the new attempt has not reached).
      if (attempt < job.attempt) return { stored: 0, attempt, superseded: job.attempt };
      const at = deps.clock.now().toISOString();
      const results = await Promise.all(report.rows.map((row) => deps.metrics.upsertStep(jobId, row.step, row.values, { attempt, recorded_at: at })));
      const { progress } = report;
      // A conditional patch on the status it read (never a status change): a move meanwhile makes it read again.
      for (let current: Job | undefined = job, round = 0; progress !== undefined && current !== undefined && round < 5; round++) {
        if ((await deps.jobs.transition(jobId, [current.status], current.status, (c) => progressPatch(c, attempt, progress, at))) !== undefined) break;
        current = await deps.jobs.get(jobId);
      }
      return { stored: results.filter(Boolean).length, attempt };
    },
  };
}

/** Seed 003's `metrics` of a training status: the latest logged train loss, learning rate and (fractional) epoch. */
export function latestStepMetrics(steps: readonly { step: number; values: EpochMetricValues }[]): { train_loss?: number; learning_rate?: number; epoch?: number } {
  const last = (name: string) => {
    for (let i = steps.length - 1; i >= 0; i--) {
      const value = steps[i]?.values[name];
      if (typeof value === 'number') return value;
    }
    return undefined;
  };
  const found = { train_loss: last('loss'), learning_rate: last('lr'), epoch: last('epoch') };
  return Object.fromEntries(Object.entries(found).filter(([, v]) => v !== undefined));
}
