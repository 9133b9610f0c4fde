import { transitionJob } from './job-state.js';
import type { JobStore } from './job-store.port.js';
import type { Job, JobPatch, JobStatus } from './job.schema.js';

class FenceLost extends Error {}

/**
 * `transitionJob` that also requires `guard(current)` inside the compare-and-set (e.g. the same attempt and
 * worker as the caller saw): when the guard fails nothing is written and it returns undefined, as for a lost status.
 */
export async function fencedTransition(
  store: JobStore, jobId: string, move: { from: readonly JobStatus[]; to: JobStatus },
  guard: (current: Job) => boolean, patch: JobPatch | ((current: Job) => JobPatch),
): Promise<Job | undefined> {
  try {
    return await transitionJob(store, jobId, move.from, move.to, (current) => {
      if (!guard(current)) throw new FenceLost();
      return typeof patch === 'function' ? patch(current) : patch;
    });
  } catch (error) {
    if (error instanceof FenceLost) return undefined;
    throw error;
  }
}

/** The guard of a worker's attempt: the job is still at `attempt` and held by `workerId`. */
export const heldBy = (workerId: string, attempt: number) => (job: Job): boolean => job.attempt === attempt && job.worker_id === workerId;
