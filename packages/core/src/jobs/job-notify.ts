import { CoreError, isCoreError, NotFoundError, ValidationError } from '../errors.js';
import { canonicalizeMetrics } from '../metrics/metric-names.js';
import type { Clock } from '../platform/clock.port.js';
import { normalizeEpochMetrics } from './epoch-metrics.js';
import { createStepReports } from './step-reports.js';
import { DEFAULT_MAX_EXTERNAL_JOBS, EXTERNAL_TASK_ID, newExternalJob } from './external-job.js';
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
  /** Most external jobs kept at once (default `DEFAULT_MAX_EXTERNAL_JOBS`); a registration past it is a CONFLICT. */
  maxExternalJobs?: number;
  /** What a report's move to `completed` carries (a fine-tune's outputs), and what runs after it, before the report is answered; must not throw. */
  completion?: { patch(job: Job): Promise<JobPatch>; after(job: Job): Promise<void> };
}

/** What a status report came to: `changed` false = acknowledged, nothing moved (`note` says why). */
export interface StatusReportResult {
  changed: boolean;
  status: JobStatus;
  note: string;
  /** This report was the first heard of the task and registered it as an external job. */
  registered?: boolean;
}

const unknownTask = (jobId: string) =>
  new NotFoundError(
    `unknown trainTaskId ${JSON.stringify(jobId)}: no training job has this id, and it is not a caller's own task id (32 lowercase hex digits, as uuid4().hex) that would register one`,
    { reason: 'unknown_task', details: { job_id: jobId } },
  );

const reportedPatch = (target: JobStatus, at: string, message: string | undefined): JobPatch =>
  target === 'running' ? { started_at: at }
  : target === 'completed' ? { completed_at: at, finished_at: at }
  : target === 'failed' ? { failed_at: at, finished_at: at, error: message ?? 'the trainer reported a failure without a message' }
  : { stopped_at: at, ...(message ? { error: message } : {}) };

/**
 * Trainer reports (the trainer agent, or any seed 004 caller) applied to a job. Reports are
 * idempotent and never fail on a replay: an epoch is an upsert keyed by (job, epoch) where a later
 * attempt replaces an earlier one; a status report moves the job through `transitionJob` when the
 * table allows it and is otherwise acknowledged unchanged. A report never re-queues a job (that is a
 * resume, which starts a process) and a report from an older attempt never moves a resumed job.
 *
 * The first report (status or epoch) for an unknown id of the caller's own shape (`EXTERNAL_TASK_ID`)
 * registers an external job (`newExternalJob`, queued) that then follows its caller's reports; an
 * epoch report moves it to running, and a completion may arrive without the running report before it.
 */
export function createJobNotify(deps: JobNotifyDeps) {
  const { jobs, metrics, clock } = deps;
  const maxExternal = deps.maxExternalJobs ?? DEFAULT_MAX_EXTERNAL_JOBS;
  if (!Number.isSafeInteger(maxExternal) || maxExternal < 0) throw new ValidationError(`maxExternalJobs must be a non-negative integer (got ${maxExternal})`, { reason: 'invalid_max_external_jobs' });
  async function mustGet(jobId: string): Promise<Job> {
    const job = await jobs.get(jobId);
    if (job === undefined) throw unknownTask(jobId);
    return job;
  }
  /** The job, else (for a caller's own id) a new external job; two first reports at once register one. */
  async function findOrRegister(jobId: string): Promise<{ job: Job; registered: boolean }> {
    const found = await jobs.get(jobId);
    if (found !== undefined) return { job: found, registered: false };
    if (!EXTERNAL_TASK_ID.test(jobId)) throw unknownTask(jobId);
    const external = (await jobs.list()).filter((j) => j.external === true).length;
    if (external >= maxExternal) {
      throw new CoreError('CONFLICT', `cannot register trainTaskId ${jobId}: this server already keeps ${external} external jobs (at most ${maxExternal}); delete finished ones first`, {
        reason: 'external_job_limit', details: { job_id: jobId, limit: maxExternal },
      });
    }
    const job = newExternalJob(jobId, clock.now().toISOString());
    try {
      await jobs.create(job);
      return { job, registered: true };
    } catch (error) {
      if (!isCoreError(error) || error.code !== 'CONFLICT') throw error;
      return { job: await mustGet(jobId), registered: false };
    }
  }
  /** An external job still queued is evidently training once it reports an epoch (its running report may be lost: no retries). */
  async function startedByEpoch(job: Job): Promise<Job> {
    if (job.external !== true || job.status !== 'queued') return job;
    return (await transitionJob(jobs, job.job_id, ['queued'], 'running', { started_at: clock.now().toISOString() })) ?? mustGet(job.job_id);
  }
  /** `epochs` of an external job: the highest epoch reported (a max inside the compare-and-set, whatever the status). */
  async function raiseEpochs(job: Job, epoch: number): Promise<void> {
    for (let current: Job | undefined = job, round = 0; current !== undefined && current.epochs < epoch && round < 5; round++) {
      const raised = await transitionJob(jobs, job.job_id, [current.status], current.status, (c) => (c.epochs < epoch ? { epochs: epoch } : {}));
      if (raised !== undefined) return;
      current = await jobs.get(job.job_id);
    }
  }

  return {
    /**
     * Stores one epoch's metrics (names canonicalised, percentages → fractions). `attempt` defaults to
     * the job's current attempt. Returns whether the row was written (false: a later attempt owns it, or the
     * report is from an attempt older than the job's current one: `superseded` is then the current attempt).
     */
    async recordEpoch(jobId: string, report: { epoch: number; metrics: Record<string, number | null | undefined>; attempt?: number }): Promise<{ stored: boolean; attempt: number; registered?: boolean; superseded?: number }> {
      const values = canonicalizeMetrics(report.metrics);
      // Checked before a first report may register a job: bad input registers nothing.
      normalizeEpochMetrics(report.epoch, values, { attempt: report.attempt ?? 1, recorded_at: '' });
      const { job: found, registered } = await findOrRegister(jobId);
      // Fencing: a report of an attempt the job has moved past (a killed worker's late replay) is never stored.
      if (report.attempt !== undefined && report.attempt < found.attempt) return { stored: false, attempt: report.attempt, superseded: found.attempt };
      const job = await startedByEpoch(found);
      const attempt = report.attempt ?? job.attempt;
      const stored = await metrics.upsertEpoch(jobId, report.epoch, values, { attempt, recorded_at: clock.now().toISOString() });
      if (job.external === true) await raiseEpochs(job, report.epoch);
      return { stored, attempt, ...(registered ? { registered } : {}) };
    },

    /** Applies a seed 004 status report (`statusType` 1–5); see the factory's notes for what is ignored. */
    async reportStatus(jobId: string, report: { statusType: number; message?: string; attempt?: number }): Promise<StatusReportResult> {
      const target = NOTIFY_STATUS_TYPES[report.statusType];
      if (target === undefined) {
        throw new ValidationError(`statusType must be 1–5 (1 queued, 2 running, 3 completed, 4 failed, 5 stopped); got ${report.statusType}`, { reason: 'invalid_status_type' });
      }
      const { job: found, registered } = await findOrRegister(jobId);
      const flag = registered ? { registered: true } : {};
      if (registered && target === 'queued') return { changed: true, status: 'queued', note: 'registered as an external job (queued)', ...flag };
      let job = found;
      const keep = (note: string): StatusReportResult => ({ changed: false, status: job.status, note, ...flag });
      if (report.attempt !== undefined && report.attempt < job.attempt) {
        return keep(`ignored: report from attempt ${report.attempt}, the job is on attempt ${job.attempt}`);
      }
      if (job.status === target) return keep(`job is already ${target}`);
      if (target === 'queued') return keep(`ignored: job is ${job.status}; only a resume re-queues a job`);
      const at = clock.now().toISOString();
      // An external caller's running report may be lost (no retries): its completion still counts, by way of running.
      if (job.external === true && job.status === 'queued' && !canTransition('queued', target) && canTransition('running', target)) {
        job = (await transitionJob(jobs, jobId, ['queued'], 'running', reportedPatch('running', at, undefined))) ?? (await mustGet(jobId));
      }
      if (!canTransition(job.status, target)) return keep(`ignored: cannot move job from "${job.status}" to "${target}"`);
      const message = report.message?.trim() ? report.message.slice(0, 500) : undefined;
      const extra = target === 'completed' ? ((await deps.completion?.patch(job)) ?? {}) : {};
      const moved = await transitionJob(jobs, jobId, [job.status], target, { ...extra, ...reportedPatch(target, at, message) });
      if (moved === undefined) {
        const now = await mustGet(jobId);
        return { changed: false, status: now.status, note: `ignored: the job moved to "${now.status}" meanwhile`, ...flag };
      }
      if (moved.status === 'completed') await deps.completion?.after(moved);
      return { changed: true, status: moved.status, note: `${registered ? 'registered as an external job; ' : ''}job is now ${moved.status}`, ...flag };
    },

    /**
     * Registers a seed 004 caller's own task id (32 lowercase hex digits) as an external job before its
     * first report (what an authenticated caller does to get the job's notify URL); an id already known
     * is that job, unchanged.
     */
    async registerExternal(taskId: string): Promise<{ job: Job; registered: boolean }> {
      if (!EXTERNAL_TASK_ID.test(taskId)) {
        throw new ValidationError(`task_id must be the caller's own task id, 32 lowercase hex digits (uuid4().hex); got ${JSON.stringify(taskId.slice(0, 80))}`, { reason: 'invalid_task_id' });
      }
      return findOrRegister(taskId);
    },

    ...createStepReports({ jobs, metrics, clock }),

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
