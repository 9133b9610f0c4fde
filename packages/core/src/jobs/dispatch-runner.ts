import type { Clock } from '../platform/clock.port.js';
import type { WorkerStore } from '../workers/worker-store.port.js';
import type { JobDispatcher } from './job-dispatcher.port.js';
import type { JobStore } from './job-store.port.js';
import type { Job } from './job.schema.js';

/** What the dispatch runner needs: jobs, the queue, the worker registry and how to tell a silent worker. */
export interface DispatchRunnerDeps {
  jobs: JobStore;
  dispatcher: JobDispatcher;
  workers: WorkerStore;
  clock: Clock;
  /** Whether a running job's worker gave it up (silent, or no longer running it): it then goes to another worker. */
  isAbandoned(job: Job): Promise<boolean>;
  /** Told about a dispatch that failed (Redis away…); the watchdog tries again. */
  onDispatchError?: (error: unknown, job: Job) => void;
  /** Workers silent this long are dropped from the registry (default 24 h). */
  forgetWorkersAfterMs?: number;
}

/**
 * The dispatch-mode replacement of the process runner (same interface): queued jobs become queue messages,
 * trainers run on remote workers, and the watchdog re-sends what Redis lost and what silent workers held.
 */
export function createDispatchRunner(deps: DispatchRunnerDeps) {
  const { jobs, dispatcher } = deps;
  let tail: Promise<void> = Promise.resolve();
  let waiting: Promise<void> | undefined;

  /** Whether the message went out; a failure is reported (the queue is likely away: the round stops, the watchdog tries again). */
  const send = async (job: Job, redelivery: boolean): Promise<boolean> => {
    try {
      await dispatcher.dispatch({ job_id: job.job_id, attempt: job.attempt, worker_labels: job.worker_labels }, { redelivery });
      return true;
    } catch (error) {
      deps.onDispatchError?.(error, job);
      return false;
    }
  };
  async function dispatchQueued(): Promise<void> {
    for (const job of await jobs.list({ status: ['queued'] })) {
      if (job.external === true) continue;
      if (!(await send(job, false))) return;
    }
  }
  /** Sends a message for every queued job (idempotent per attempt); one round at a time and at most one waiting; never rejects. */
  function pump(): Promise<void> {
    if (waiting !== undefined) return waiting;
    const round = tail.then(() => {
      waiting = undefined;
      return dispatchQueued();
    }).catch(() => undefined);
    waiting = round;
    tail = round;
    return round;
  }
  /** Re-dispatches queued jobs (Redis may have lost them) and the running jobs of silent workers; forgets long-gone workers. */
  async function checkAlive(): Promise<void> {
    await pump();
    for (const job of await jobs.list({ status: ['running'] })) {
      if (job.worker_id !== undefined && (await deps.isAbandoned(job)) && !(await send(job, true))) break;
    }
    const forgetMs = deps.forgetWorkersAfterMs ?? 86_400_000;
    await deps.workers.forgetStaleAfter(new Date(deps.clock.now().getTime() - forgetMs).toISOString());
  }

  return {
    pump,
    /** Nothing runs here: a stop reaches the worker through its next heartbeat's `cancel`. */
    halt: async (_jobId: string) => undefined,
    checkAlive,
    recover: checkAlive,
    has: (_jobId: string) => false,
  };
}
