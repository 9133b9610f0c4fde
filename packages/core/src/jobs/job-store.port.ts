import type { Job, JobPatch, JobStatus } from './job.schema.js';

/** A patch, or a function computing one from the record as it is inside the compare-and-set; if the function throws, nothing is written and the error propagates. */
export type JobPatchInput = JobPatch | ((current: Job) => JobPatch);

/** Persistence of training jobs; status changes only through `transition` (compare-and-set). */
export interface JobStore {
  /** Inserts a new job; throws `CoreError('CONFLICT')` if the id exists. */
  create(job: Job): Promise<void>;
  get(jobId: string): Promise<Job | undefined>;
  /** Newest first (by `created_at`, then the later insert first); optionally only some statuses. */
  list(filter?: { status?: readonly JobStatus[] }): Promise<Job[]>;
  /** Shallow-merges `patch` (`undefined` keys removed; `job_id` and `status` never change); NOT_FOUND if missing. */
  update(jobId: string, patch: JobPatch): Promise<Job>;
  /**
   * Atomic compare-and-set: if the current status is one of `from`, sets `to` and applies `patch`
   * (a function patch sees the current record) and returns the new record; otherwise changes nothing
   * and returns `undefined`. `to` may equal the current status (a conditional patch). Legality of the
   * move is the caller's business (`assertTransition`).
   */
  transition(jobId: string, from: readonly JobStatus[], to: JobStatus, patch?: JobPatchInput): Promise<Job | undefined>;
  /** Removes the job (only when its status is in `ifStatus`, if given); true when a record was removed. */
  delete(jobId: string, options?: { ifStatus?: readonly JobStatus[] }): Promise<boolean>;
}
