import type { Clock } from '../platform/clock.port.js';
import { transitionJob } from './job-state.js';
import type { JobStore } from './job-store.port.js';
import type { Job, JobPatch } from './job.schema.js';
import type { TrainingExecutor, TrainingExit, TrainingSpec } from './training-executor.port.js';
import { ownedByLiveOther, type ServerLiveness } from '../servers/server-liveness.js';

/** What the runner needs: the store, the executor, time, limits and how to build an attempt's spawn spec. */
export interface JobRunnerDeps {
  jobs: JobStore;
  executor: TrainingExecutor;
  clock: Clock;
  /** Most processes alive at once (a stopped job's process counts until it is gone). */
  concurrency: number;
  stopGraceMs: number;
  /** What to run for a job's current attempt; may throw (the job then fails with that message). */
  specFor(job: Job): TrainingSpec | Promise<TrainingSpec>;
  /** The job error for a start that failed (program missing…). */
  describeStartError(error: unknown): string;
  /**
   * Set when trainers run under the trainer agent, which reports the terminal status itself before it
   * exits: a clean exit of a job still `running` means those reports never arrived, and the job fails
   * with this message instead of passing for a clean `completed` with no epochs and no model.
   */
  describeUnreportedExit?: (job: Job) => string;
  /** SIGINT grace of a stop for this job (llm-finetune trainers save on SIGINT); undefined = SIGTERM first. */
  interruptGraceFor?: (job: Job) => number | undefined;
  /** What a job's move to `completed` carries besides the exit facts (a fine-tune's outputs), and what runs after it (before the slot is freed); must not throw. */
  completion?: { patch(job: Job): Promise<JobPatch>; after(job: Job): Promise<void> };
  /** Several servers on one database: launches record `server_id`; crash checks and recovery skip jobs of a live other server, and adopting one takes it over. */
  servers?: ServerLiveness;
}

/** A process this runner answers for: reserved before its job turns `running`, released once it is gone. */
interface Slot {
  attempt: number;
  pid?: number;
  /** Found running after a restart: no exit event will come, liveness is polled. */
  adopted: boolean;
  /** SIGINT grace of a stop, for trainers that save on SIGINT. */
  interruptMs?: number;
  settled: Promise<void>;
  settle(): void;
}

const NO_PID = 'the server stopped while starting the trainer (no process id was recorded); resume the job to run it again';
const gone = (pid: number) =>
  `the trainer process (pid ${pid}) ended while the server was not watching it, so its outcome is unknown; resume the job to continue from its last checkpoint`;
const byQueuedAt = (a: Job, b: Job) => {
  const [x, y] = [a.queued_at ?? a.created_at, b.queued_at ?? b.created_at];
  return x < y ? -1 : x > y ? 1 : 0;
};

/** Why a trainer ended, with the tail of its output. */
export function describeExit(exit: TrainingExit): string {
  const how = exit.signal !== null ? `was killed by ${exit.signal}` : `exited with code ${String(exit.code)}`;
  return exit.outputTail ? `trainer ${how}: ${exit.outputTail}` : `trainer ${how}`;
}

/**
 * The process side of the job lifecycle: a FIFO queue with `concurrency` slots, launching, exit
 * handling, stopping and crash detection. Each status change is persisted (compare-and-set) before
 * the action it announces; see the job-service design notes for the ordering.
 */
export function createJobRunner(deps: JobRunnerDeps) {
  const { jobs, executor } = deps;
  const slots = new Map<string, Slot>();
  let queue: Promise<void> = Promise.resolve();
  const now = () => deps.clock.now().toISOString();

  const stopOptions = (job: Job, pid?: number) => {
    const interruptGraceMs = deps.interruptGraceFor?.(job);
    return { graceMs: deps.stopGraceMs, ...(interruptGraceMs === undefined ? {} : { interruptGraceMs }), ...(pid === undefined ? {} : { pid }) };
  };
  function reserve(job: Job, adopted: boolean, pid?: number): Slot {
    let settle = () => {};
    const settled = new Promise<void>((resolve) => (settle = resolve));
    const interruptMs = deps.interruptGraceFor?.(job);
    const slot: Slot = { attempt: job.attempt, adopted, settled, settle, ...(pid === undefined ? {} : { pid }), ...(interruptMs === undefined ? {} : { interruptMs }) };
    slots.set(job.job_id, slot);
    return slot;
  }
  function release(jobId: string): void {
    const slot = slots.get(jobId);
    if (slot === undefined) return;
    slots.delete(jobId);
    slot.settle();
    void pump();
  }

  /** Starts queued jobs, oldest first, while slots are free; serialized, never rejects. */
  function pump(): Promise<void> {
    queue = queue.then(fillSlots).catch(() => undefined);
    return queue;
  }
  async function fillSlots(): Promise<void> {
    const waiting = (await jobs.list({ status: ['queued'] })).reverse().sort(byQueuedAt);
    for (const job of waiting) {
      if (slots.size >= deps.concurrency) return;
      // An external job's caller runs it (job.external): nothing to start here.
      if (!slots.has(job.job_id) && job.external !== true) await launch(job);
    }
  }

  async function launch(job: Job): Promise<void> {
    const slot = reserve(job, false);
    let spec: TrainingSpec;
    try {
      spec = await deps.specFor(job);
    } catch (error) {
      await transitionJob(jobs, job.job_id, ['queued'], 'failed', { error: deps.describeStartError(error), failed_at: now(), finished_at: now() });
      return release(job.job_id);
    }
    const cleared = { pid: undefined, exit_code: undefined, signal: undefined, error: undefined, finished_at: undefined };
    const owner = deps.servers === undefined ? {} : { server_id: deps.servers.instanceId };
    const running = await transitionJob(jobs, job.job_id, ['queued'], 'running', { ...cleared, ...owner, started_at: now(), command: [...spec.argv] });
    if (running === undefined) return release(job.job_id);
    slot.attempt = running.attempt;
    try {
      slot.pid = (await executor.start(spec)).pid;
    } catch (error) {
      await transitionJob(jobs, job.job_id, ['running'], 'failed', { error: deps.describeStartError(error), failed_at: now(), finished_at: now() });
      return release(job.job_id);
    }
    const pid = slot.pid;
    const recorded = await transitionJob(jobs, job.job_id, ['running'], 'running', (current) => (current.attempt === running.attempt ? { pid } : {}));
    // Stopped (or deleted) while it was being spawned: the stop found no process yet, so finish it here.
    if (recorded === undefined) void executor.stop(job.job_id, stopOptions(job)).catch(() => undefined);
  }

  async function handleExit(jobId: string, exit: TrainingExit): Promise<void> {
    const slot = slots.get(jobId);
    try {
      const at = now();
      const facts = { ...(exit.code === null ? {} : { exit_code: exit.code }), ...(exit.signal === null ? {} : { signal: exit.signal }), finished_at: at };
      const unreported = deps.describeUnreportedExit;
      const current = exit.code === 0 && unreported === undefined ? await jobs.get(jobId) : undefined;
      const extra = current?.status === 'running' ? ((await deps.completion?.patch(current)) ?? {}) : {};
      const moved = exit.code !== 0
        ? await transitionJob(jobs, jobId, ['running'], 'failed', { ...facts, failed_at: at, error: describeExit(exit) })
        : unreported === undefined
          ? await transitionJob(jobs, jobId, ['running'], 'completed', { ...extra, ...facts, completed_at: at })
          : await transitionJob(jobs, jobId, ['running'], 'failed', (job) => ({ ...facts, failed_at: at, error: unreported(job) }));
      if (moved?.status === 'completed') await deps.completion?.after(moved);
      if (moved === undefined) {
        const mine = (job: Job) => slot !== undefined && job.attempt === slot.attempt && job.exit_code === undefined && job.signal === undefined;
        // Already terminal: stopped by a person, or completed/failed by the trainer agent's notify report
        // before its process exited. Keep this attempt's exit facts (exit_code/signal/finished_at) on the record.
        for (const status of ['stopped', 'completed', 'failed'] as const) {
          if ((await transitionJob(jobs, jobId, [status], status, (job) => (mine(job) ? facts : {}))) !== undefined) break;
        }
      }
    } finally {
      release(jobId);
    }
  }
  executor.onExit((jobId, exit) => {
    if (slots.has(jobId)) void handleExit(jobId, exit).catch(() => undefined);
  });

  /** Waits until the job's process (if this runner has one) is gone. */
  async function halt(jobId: string): Promise<void> {
    const slot = slots.get(jobId);
    if (slot === undefined) return;
    const adopted = slot.adopted && slot.pid !== undefined ? { pid: slot.pid } : {};
    const interrupt = slot.interruptMs === undefined ? {} : { interruptGraceMs: slot.interruptMs };
    await executor.stop(jobId, { graceMs: deps.stopGraceMs, ...interrupt, ...adopted });
    if (slot.adopted) release(jobId);
    await slot.settled;
  }

  /** Running jobs without a live process here become `crashed`; live ones found after a restart are adopted. */
  async function checkAlive(): Promise<void> {
    const running = await jobs.list({ status: ['running'] });
    const live = deps.servers === undefined || running.length === 0 ? new Set<string>() : await deps.servers.liveOthers();
    for (const job of running) {
      const slot = slots.get(job.job_id);
      if (slot !== undefined && !slot.adopted) continue;
      // Launched by another server that is alive: its process is that server's to watch (maybe on another machine).
      if (ownedByLiveOther(deps.servers, live, job.server_id)) continue;
      // Run by its caller, not by us: an external job (a seed-004 trainer with its own ids), or a job of ours
      // that a trainer reported running before we started anything (no pid, and no command: we record the
      // command before spawning). Its process is not ours to watch; it ends with its own status report.
      if (job.external === true || (job.pid === undefined && job.command.length === 0)) continue;
      if (job.pid !== undefined && executor.isAlive(job.pid, job.job_id)) {
        if (slot === undefined) await adopt(job, job.pid);
        continue;
      }
      const at = now();
      await transitionJob(jobs, job.job_id, ['running'], 'crashed', { crashed: true, crashed_at: at, finished_at: at, error: job.pid === undefined ? NO_PID : gone(job.pid) });
      release(job.job_id);
    }
    for (const [jobId, slot] of slots) if (slot.adopted && slot.pid !== undefined && !executor.isAlive(slot.pid, jobId)) release(jobId);
  }

  /** Watches a live process found running (after a restart, or left by a dead server: the job then becomes this server's). */
  async function adopt(job: Job, pid: number): Promise<void> {
    reserve(job, true, pid);
    const self = deps.servers?.instanceId;
    if (self === undefined || job.server_id === self) return;
    const taken = await transitionJob(jobs, job.job_id, ['running'], 'running', (current) => (current.attempt === job.attempt ? { server_id: self } : {}));
    if (taken === undefined) release(job.job_id);
  }

  /** After a restart: finishes stops the server died in the middle of, detects crashes, adopts survivors, fills the queue. */
  async function recover(): Promise<void> {
    const live = deps.servers === undefined ? new Set<string>() : await deps.servers.liveOthers();
    for (const job of await jobs.list({ status: ['stopped'] })) {
      if (ownedByLiveOther(deps.servers, live, job.server_id)) continue;
      const unfinished = job.pid !== undefined && job.exit_code === undefined && job.signal === undefined && !slots.has(job.job_id);
      if (unfinished && job.pid !== undefined && executor.isAlive(job.pid, job.job_id)) {
        await executor.stop(job.job_id, stopOptions(job, job.pid));
      }
    }
    await checkAlive();
    await pump();
  }

  return { pump, halt, checkAlive, recover, has: (jobId: string) => slots.has(jobId) };
}

/** The queue and process side of the job service. */
export type JobRunner = ReturnType<typeof createJobRunner>;
