import { NotFoundError, ValidationError } from '../errors.js';
import { canonicalizeMetrics } from '../metrics/metric-names.js';
import type { Clock } from '../platform/clock.port.js';
import { canTransition, transitionJob } from './job-state.js';
import type { JobStore } from './job-store.port.js';
import type { Job, JobPatch, JobStatus } from './job.schema.js';
import type { MetricStore } from './metric-store.port.js';

/** Seed 004's `statusType` → our job status (1 queued, 2 running, 3 completed, 4 failed, 5 stopped/cancelled). */
export const NOTIFY_STATUS_TYPES: Readonly<Record<number, JobStatus>> = { 1: 'queued', 2: 'running', 3: 'completed', 4: 'failed', 5: 'stopped' };

export interface JobNotifyDeps {
  jobs: JobStore;
  metrics: MetricStore;
  clock: Clock;
}

/** What a status report came to: `changed` false = acknowledged, nothing moved (`note` says why). */
export interface StatusReportResult {
  changed: boolean;
  status: JobStatus;
  note: string;
}

const unknownTask = (jobId: string) =>
  new NotFoundError(`unknown trainTaskId ${JSON.stringify(jobId)}: no training job has this id`, { reason: 'unknown_task', details: { job_id: jobId } });

/**
 * Trainer reports (the trainer agent, or any seed 004 caller) applied to a job. Reports are
 * idempotent and never fail on a replay: an epoch is an upsert keyed by (job, epoch) where a later
 * attempt replaces an earlier one; a status report moves the job through `transitionJob` when the
 * table allows it and is otherwise acknowledged unchanged. A report never re-queues a job (that is a
 * resume, which starts a process) and a report from an older attempt never moves a resumed job.
 */
export function createJobNotify(deps: JobNotifyDeps) {
  const { jobs, metrics, clock } = deps;
  async function mustGet(jobId: string): Promise<Job> {
    const job = await jobs.get(jobId);
    if (job === undefined) throw unknownTask(jobId);
    return job;
  }

  return {
    /**
     * Stores one epoch's metrics (names canonicalised, percentages → fractions). `attempt` defaults to
     * the job's current attempt. Returns whether the row was written (false: a later attempt owns it).
     */
    async recordEpoch(jobId: string, report: { epoch: number; metrics: Record<string, number | null | undefined>; attempt?: number }): Promise<{ stored: boolean; attempt: number }> {
      const job = await mustGet(jobId);
      const attempt = report.attempt ?? job.attempt;
      const values = canonicalizeMetrics(report.metrics);
      const stored = await metrics.upsertEpoch(jobId, report.epoch, values, { attempt, recorded_at: clock.now().toISOString() });
      return { stored, attempt };
    },

    /** Applies a seed 004 status report (`statusType` 1–5); see the factory's notes for what is ignored. */
    async reportStatus(jobId: string, report: { statusType: number; message?: string; attempt?: number }): Promise<StatusReportResult> {
      const target = NOTIFY_STATUS_TYPES[report.statusType];
      if (target === undefined) {
        throw new ValidationError(`statusType must be 1–5 (1 queued, 2 running, 3 completed, 4 failed, 5 stopped); got ${report.statusType}`, { reason: 'invalid_status_type' });
      }
      const job = await mustGet(jobId);
      const keep = (note: string): StatusReportResult => ({ changed: false, status: job.status, note });
      if (report.attempt !== undefined && report.attempt < job.attempt) {
        return keep(`ignored: report from attempt ${report.attempt}, the job is on attempt ${job.attempt}`);
      }
      if (job.status === target) return keep(`job is already ${target}`);
      if (target === 'queued') return keep(`ignored: job is ${job.status}; only a resume re-queues a job`);
      if (!canTransition(job.status, target)) return keep(`ignored: cannot move job from "${job.status}" to "${target}"`);
      const at = clock.now().toISOString();
      const message = report.message?.trim() ? report.message.slice(0, 500) : undefined;
      const patch: JobPatch =
        target === 'running' ? { started_at: at }
        : target === 'completed' ? { completed_at: at, finished_at: at }
        : target === 'failed' ? { failed_at: at, finished_at: at, error: message ?? 'the trainer reported a failure without a message' }
        : { stopped_at: at, ...(message ? { error: message } : {}) };
      const moved = await transitionJob(jobs, jobId, [job.status], target, patch);
      if (moved === undefined) {
        const now = await mustGet(jobId);
        return { changed: false, status: now.status, note: `ignored: the job moved to "${now.status}" meanwhile` };
      }
      return { changed: true, status: moved.status, note: `job is now ${moved.status}` };
    },

    /** Records the registered model of a job (set once: the first model wins). Returns the job. */
    async attachModel(jobId: string, modelId: string): Promise<Job> {
      const job = await mustGet(jobId);
      if (job.model_id !== undefined) return job;
      return jobs.update(jobId, { model_id: modelId });
    },
  };
}

/** Trainer report use cases, part of the job service. */
export type JobNotify = ReturnType<typeof createJobNotify>;
