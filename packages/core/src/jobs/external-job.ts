import { InvalidStateError } from '../errors.js';
import type { Job } from './job.schema.js';

/**
 * Task ids a seed 004 trainer makes itself (`uuid4().hex`: 32 lowercase hex digits). Our own job ids
 * are `job_<stamp>_<hex>`, so the two never overlap: a report can register a new external job but
 * never take over one of ours, and an id that already exists is always that existing job.
 */
export const EXTERNAL_TASK_ID = /^[0-9a-f]{32}$/;

/** Text of the fields an external caller never tells us (dataset, version, model name). */
export const EXTERNAL_PLACEHOLDER = 'external';

/**
 * Most external jobs kept at once (default of `JobNotifyDeps.maxExternalJobs`): the notify routes take
 * no credentials, so an unbounded count would let any caller on the network fill the job table.
 */
export const DEFAULT_MAX_EXTERNAL_JOBS = 1000;

/** The record of a task first heard of in a report: queued, no process, no log, no run folder. */
export function newExternalJob(jobId: string, at: string): Job {
  return {
    job_id: jobId, external: true, status: 'queued', created_at: at, queued_at: at,
    dataset_id: EXTERNAL_PLACEHOLDER, version: EXTERNAL_PLACEHOLDER, model_name: EXTERNAL_PLACEHOLDER, base_model_id: null, original_model_path: '',
    epochs: 0, imgsz: 0, batch: 0, log_file: '', run_dir: '', attempt: 1, command: [],
  };
}

const HOW = {
  stop: 'stop it on the trainer that runs it (its stop sends no report here, so this record keeps what the trainer last reported)',
  resume: 'resume it on the trainer that runs it',
  extend: 'this server has neither its process nor its weights; train it further on the trainer that ran it',
} as const;

/** Returns the job, or throws a 409-kind `InvalidStateError` when its caller runs it (no process here to act on). */
export function assertRunHere(job: Job, action: keyof typeof HOW): Job {
  if (job.external !== true) return job;
  throw new InvalidStateError(`Job ${job.job_id} is run by its caller (an external trainer reporting through the notify routes), not by this server: ${HOW[action]}`, {
    reason: 'external_job', details: { job_id: job.job_id, action },
  });
}
