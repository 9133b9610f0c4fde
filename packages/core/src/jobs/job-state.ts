import { InvalidStateError } from '../errors.js';
import type { JobPatchInput, JobStore } from './job-store.port.js';
import type { Job, JobStatus } from './job.schema.js';

/**
 * The one job lifecycle table: the statuses each status may move to. Resume is stopped/failed/crashed
 * → queued; a completed job never moves again (extend creates a child job instead).
 */
export const TRANSITIONS: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  queued: ['running', 'stopped', 'failed'],
  running: ['completed', 'failed', 'stopped', 'crashed'],
  completed: [],
  failed: ['queued'],
  stopped: ['queued'],
  crashed: ['queued'],
};

/** Whether the table allows moving from `from` to `to`. */
export const canTransition = (from: JobStatus, to: JobStatus): boolean => TRANSITIONS[from].includes(to);

/** Throws `InvalidStateError` (naming both states, then `hint`) unless the table allows `from` → `to`. */
export function assertTransition(from: JobStatus, to: JobStatus, context: { jobId?: string; hint?: string } = {}): void {
  if (canTransition(from, to)) return;
  const subject = context.jobId === undefined ? 'a job' : `job ${context.jobId}`;
  const hint = context.hint === undefined ? '' : `: ${context.hint}`;
  throw new InvalidStateError(`cannot move ${subject} from "${from}" to "${to}"${hint}`, {
    reason: 'illegal_transition',
    details: { from, to, ...(context.jobId === undefined ? {} : { job_id: context.jobId }) },
  });
}

/** Whether no process is or will be running for a job in this status (it can only move by an explicit resume). */
export const isTerminal = (status: JobStatus): boolean => status !== 'queued' && status !== 'running';

/** Statuses a resume may start from. */
export const RESUMABLE: readonly JobStatus[] = (Object.keys(TRANSITIONS) as JobStatus[]).filter((s) => canTransition(s, 'queued'));

/**
 * The only way core changes a job's status: asserts every `from` → `to` against the table (same
 * status = a conditional patch), then runs the store's compare-and-set. Returns undefined when it lost.
 */
export async function transitionJob(
  store: JobStore, jobId: string, from: readonly JobStatus[], to: JobStatus, patch?: JobPatchInput,
): Promise<Job | undefined> {
  for (const status of from) if (status !== to) assertTransition(status, to, { jobId });
  return store.transition(jobId, from, to, patch);
}
