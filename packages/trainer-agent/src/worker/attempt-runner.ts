import type { DispatchMessage, TrainingExit, WorkerCancel, WorkerJobRef, WorkOrder } from '@yoloops/core';
import { isCoreError } from '@yoloops/core';
import { claimMessage, postExit, prepareAttempt, type AttemptDeps } from './run-attempt.js';
import { forgetTrainer, recordTrainer } from './work-dir.js';

/** What became of one message: run to its end, refused by the server, left to another worker (shutdown), already held here, or not claimable with this worker's token. */
export type MessageOutcome = 'done' | 'refused' | 'abandoned' | 'held_here' | 'unauthorized';

/** Runs claimed attempts, at most one per job, and stops them on request. */
export interface AttemptRunner {
  /** Claims the message's attempt and runs it to its end (exit posted); rejects only when `signal` aborts first. */
  handle(message: DispatchMessage, signal?: AbortSignal): Promise<MessageOutcome>;
  /** Stops the attempt if it runs here (SIGINT first for llm-finetune, then SIGTERM → SIGKILL); its exit is still posted. */
  cancel(cancel: WorkerCancel): void;
  /** Attempts held right now (claimed, preparing or running). */
  jobs(): WorkerJobRef[];
  /** Kills every trainer at once without posting exits (the worker is leaving; the server hands the jobs to another worker). */
  abandonAll(): Promise<void>;
}

/** Grace periods of a stop. */
export interface StopGraces {
  /** SIGTERM → SIGKILL (default 10 s). */
  graceMs?: number;
  /** SIGINT → SIGTERM for `llm-finetune` jobs (default 30 s: LLaMA-Factory saves a checkpoint). */
  interruptGraceMs?: number;
}

interface LocalRun {
  order: Pick<WorkOrder, 'job_id' | 'attempt' | 'kind'>;
  /** Aborts the downloads of a run cancelled before its trainer started. */
  preparing: AbortController;
  pid?: number;
  cancelled?: string;
  abandoned?: boolean;
  ended: Promise<void>;
}

const killGroup = (pid: number) => {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
};

/** Creates the runner; one executor exit listener serves every attempt. */
export function createAttemptRunner(deps: AttemptDeps & StopGraces): AttemptRunner {
  const runs = new Map<string, LocalRun>();
  const exits = new Map<string, (exit: TrainingExit) => void>();
  deps.executor.onExit((jobId, exit) => exits.get(jobId)?.(exit));

  const stop = (run: LocalRun) => {
    if (run.pid === undefined) return Promise.resolve();
    const interrupt = run.order.kind === 'llm-finetune' ? { interruptGraceMs: deps.interruptGraceMs ?? 30_000 } : {};
    return deps.executor.stop(run.order.job_id, { graceMs: deps.graceMs ?? 10_000, pid: run.pid, ...interrupt });
  };

  /** Starts the trainer and waits for its end; a failure to prepare or start is an exit too (code 1, or 127 for a missing program). */
  async function train(order: WorkOrder, run: LocalRun, signal?: AbortSignal): Promise<TrainingExit> {
    const cancelledEarly = (): TrainingExit => ({ code: null, signal: 'SIGTERM', outputTail: `yoloops worker: ${run.cancelled ?? 'cancelled'} before the trainer started` });
    try {
      const { paths, argv } = await prepareAttempt(deps, order, signal ? AbortSignal.any([signal, run.preparing.signal]) : run.preparing.signal);
      if (run.cancelled) return cancelledEarly();
      const exited = new Promise<TrainingExit>((resolve) => exits.set(order.job_id, resolve));
      const env = {
        PYTHONIOENCODING: 'utf-8', PYTHONUNBUFFERED: '1', YOLOOPS_ATTEMPT: String(order.attempt), YOLOOPS_AGENT_ATTEMPT: String(order.attempt),
        YOLOOPS_WORKER_ID: deps.workerId, YOLOOPS_WORKER_TOKEN: '', YOLOOPS_AGENT_TOKEN: order.agent_token ?? '',
        YOLOOPS_AGENT_RETRY_CAP_MS: String(deps.retry.backoff.capMs), YOLOOPS_AGENT_PARENT_PID: String(process.pid),
      };
      try {
        run.pid = (await deps.executor.start({ jobId: order.job_id, argv, cwd: paths.project, env, logFile: paths.logFile })).pid;
        recordTrainer(paths.project, order.job_id, run.pid);
      } catch (error) {
        exits.delete(order.job_id);
        throw error;
      }
      if (run.abandoned) killGroup(run.pid);
      else if (run.cancelled) void stop(run);
      const exit = await exited;
      exits.delete(order.job_id);
      forgetTrainer(paths.project);
      return exit;
    } catch (error) {
      if (signal?.aborted) throw error;
      if (run.cancelled && run.pid === undefined) return cancelledEarly();
      const missing = isCoreError(error) && error.reason === 'program_not_found';
      deps.log(`yoloops worker: ${order.job_id} attempt ${order.attempt}: ${(error as Error).message}`);
      return { code: missing ? 127 : 1, signal: null, outputTail: `yoloops worker: ${(error as Error).message}` };
    }
  }

  async function handle(message: DispatchMessage, signal?: AbortSignal): Promise<MessageOutcome> {
    const held = runs.get(message.job_id);
    if (held && held.order.attempt >= message.attempt) return 'held_here';
    const claim = await claimMessage(deps, message, signal);
    if ('refused' in claim) {
      deps.log(`yoloops worker: claim of ${message.job_id} attempt ${message.attempt} refused (${claim.refused}); nothing to run`);
      return 'refused';
    }
    if ('unauthorized' in claim) {
      deps.log(`yoloops worker: the server refused this worker's token (HTTP ${claim.unauthorized}) for ${message.job_id}; set --token or YOLOOPS_WORKER_TOKEN (yoloops workers token prints one); the job goes back to the queue`);
      return 'unauthorized';
    }
    if ('unreadable' in claim) {
      // The attempt is ours now: fail it in so many words rather than leave it "running" on a worker that runs nothing.
      deps.log(`yoloops worker: ${message.job_id} attempt ${claim.attempt}: ${claim.unreadable}`);
      await postExit(deps, { job_id: message.job_id, attempt: claim.attempt }, { code: 1, signal: null, outputTail: `yoloops worker: ${claim.unreadable}` }, signal);
      return 'done';
    }
    const { order } = claim;
    const previous = runs.get(order.job_id);
    if (previous) {
      previous.cancelled = 'superseded';
      previous.preparing.abort();
      await stop(previous);
      await previous.ended;
    }
    let ended = () => {};
    const run: LocalRun = { order, preparing: new AbortController(), ended: new Promise<void>((resolve) => (ended = resolve)) };
    runs.set(order.job_id, run);
    try {
      deps.log(`yoloops worker: running ${order.job_id} attempt ${order.attempt}`);
      const exit = await train(order, run, signal);
      if (run.abandoned || signal?.aborted) return 'abandoned';
      await postExit(deps, order, exit, signal);
      deps.log(`yoloops worker: ${order.job_id} attempt ${order.attempt} ended (code ${exit.code ?? '-'}, signal ${exit.signal ?? '-'})`);
      return 'done';
    } finally {
      if (runs.get(order.job_id) === run) runs.delete(order.job_id);
      ended();
    }
  }

  return {
    handle,
    cancel(cancel) {
      const run = runs.get(cancel.job_id);
      if (run === undefined || run.order.attempt !== cancel.attempt || run.cancelled) return;
      run.cancelled = cancel.reason;
      run.preparing.abort();
      deps.log(`yoloops worker: stopping ${cancel.job_id} attempt ${cancel.attempt} (${cancel.reason})`);
      stop(run).catch((error: unknown) => deps.log(`yoloops worker: could not stop ${cancel.job_id}: ${(error as Error).message}`));
    },
    jobs: () => [...runs.values()].map((run) => ({ job_id: run.order.job_id, attempt: run.order.attempt })),
    async abandonAll() {
      const all = [...runs.values()];
      for (const run of all) {
        run.abandoned = true;
        if (run.pid !== undefined) killGroup(run.pid);
      }
      await Promise.all(all.map((run) => run.ended));
    },
  };
}
