import { InvalidStateError, isCoreError } from '../errors.js';
import type { EngineOutput, InferenceSessionHandle, RunOptions } from './inference-engine.port.js';

/**
 * How one model's runs share the cores. A single run is fastest on one session using every core, but
 * a model's intra-op threads scale poorly (YOLOv8n on 2 cores: 1.5× for 2 threads), so runs that come
 * in streams (batches, video frames, concurrent requests) get more done on several sessions with fewer
 * threads each, running side by side.
 */
export interface SessionSchedulePlan {
  /** Threads all runs together may use at once. */
  threads: number;
  /** Sessions for runs in streams, opened on first demand (0 or 1: none, every run takes the main session). */
  lanes: number;
  /** Lanes unused this long are released (their memory back to the system); reopened on demand. */
  laneIdleMs: number;
}

/** Opens one session of the model whose runs use `threads` threads. */
export type OpenSession = (threads: number) => Promise<InferenceSessionHandle>;

/**
 * The plan for a machine: the main session gets every thread of the budget; 2 lanes on 2–7 threads,
 * 4 from 8, each with an equal share.
 */
export function planSessions(threads: number, lanes?: number, laneIdleMs = 30_000): SessionSchedulePlan {
  const budget = Math.max(1, Math.floor(threads));
  const wanted = lanes ?? (budget < 2 ? 0 : budget < 8 ? 2 : 4);
  return { threads: budget, lanes: Math.min(Math.max(0, Math.floor(wanted)), budget), laneIdleMs };
}

interface Slot {
  session: InferenceSessionHandle;
  threads: number;
  busy: boolean;
}

interface Queued {
  /** Set once the run was retried after its session died under it. */
  retried?: boolean;
  input: Float32Array;
  dims: readonly number[];
  outputName: string | undefined;
  priority: 'latency' | 'throughput';
  resolve: (output: EngineOutput) => void;
  reject: (error: unknown) => void;
}

/**
 * Runs one model on a main session (every thread) and, while runs come in streams, on lanes (sessions
 * with a share of the threads each), never using more threads at once than the plan's budget:
 * - a run with nothing else queued or running takes the main session, the lowest latency for it;
 * - a `throughput` run, or any run while others wait or run, takes a free lane whose threads fit;
 *   the lanes are opened on the first such demand (until then the main session serves), and released
 *   after `laneIdleMs` without use;
 * - runs start in the order they were asked for;
 * - a session that dies (rejects with reason `session_released` while the scheduler is not released) is
 *   replaced: a dead lane is dropped, a dead main session reopened when a run next needs it, and the run
 *   it failed runs once more.
 * Sessions of one model give identical outputs whatever their thread count (onnxruntime's CPU kernels
 * split work by output, not by reduction), so which session ran is invisible in the result.
 * @example
 * const session = await scheduleSessions((threads) => engine.open(path, threads), planSessions(os.availableParallelism()));
 */
export async function scheduleSessions(open: OpenSession, plan: SessionSchedulePlan): Promise<InferenceSessionHandle> {
  const main: Slot = { session: await open(plan.threads), threads: plan.threads, busy: false };
  const laneThreads = Math.max(1, Math.floor(plan.threads / Math.max(1, plan.lanes)));
  const queue: Queued[] = [];
  let lanes: Slot[] = [];
  let opening: Promise<void> | undefined;
  let lanesFailed = false;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  let busyThreads = 0;
  let running = 0;
  let released: Promise<void> | undefined;
  let drained: (() => void) | undefined;
  /** The main session died (its worker is gone): reopened when a run next needs it. */
  let mainDead = false;
  let reopening: Promise<void> | undefined;

  const lanesWanted = plan.lanes >= 2;

  const openLanes = () => {
    if (!lanesWanted || lanesFailed || opening || lanes.length > 0) return;
    opening = (async () => {
      const opened = await Promise.allSettled(Array.from({ length: plan.lanes }, async () => open(laneThreads)));
      const ok = opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
      if (released || ok.length < opened.length) {
        // a lane that cannot open (memory, a worker limit) leaves the main session to serve alone
        if (!released) lanesFailed = true;
        await Promise.all(ok.map((s) => s.release().catch(() => undefined)));
        return;
      }
      lanes = ok.map((session) => ({ session, threads: laneThreads, busy: false }));
    })().finally(() => {
      opening = undefined;
      dispatch();
      noteLanesIdle(); // lanes opened for a demand that has passed still time out
    });
  };

  const releaseIdleLanes = () => {
    idleTimer = undefined;
    if (lanes.some((l) => l.busy)) return; // their end restarts the idle time
    if (queue.length > 0) {
      // runs waiting may yet go to the main session: look again later rather than never
      idleTimer = setTimeout(releaseIdleLanes, plan.laneIdleMs);
      idleTimer.unref?.();
      return;
    }
    const old = lanes;
    lanes = [];
    for (const lane of old) void lane.session.release().catch(() => undefined);
  };

  /** (Re)starts the lanes' idle time, when they all stand idle with nothing waiting; only lane activity counts. */
  const noteLanesIdle = () => {
    if (lanes.length === 0 || lanes.some((l) => l.busy) || queue.length > 0) return;
    clearTimeout(idleTimer);
    idleTimer = setTimeout(releaseIdleLanes, plan.laneIdleMs);
    idleTimer.unref?.();
  };

  /** A session that can no longer run (its worker died) says so with `session_released`; it is replaced, not asked again. */
  const died = (slot: Slot, error: unknown): boolean => {
    if (released || !isCoreError(error) || error.reason !== 'session_released') return false;
    if (slot === main) mainDead = true;
    else lanes = lanes.filter((l) => l !== slot); // the others serve on; all reopen after the next idle release
    void slot.session.release().catch(() => undefined);
    return true;
  };

  const reopenMain = () => {
    reopening ??= (async () => {
      try {
        main.session = await open(plan.threads);
        mainDead = false;
      } catch (error) {
        // runs waiting for the main session get why it cannot come back; the next one tries again
        for (const job of queue.splice(0)) job.reject(error);
      }
    })().finally(() => {
      reopening = undefined;
      dispatch();
      if (running === 0 && queue.length === 0) drained?.();
    });
  };

  const start = (slot: Slot, job: Queued) => {
    slot.busy = true;
    busyThreads += slot.threads;
    running++;
    if (slot !== main) clearTimeout(idleTimer);
    // a runtime that throws instead of rejecting still frees its slot
    new Promise<EngineOutput>((resolve) => resolve(slot.session.run(job.input, job.dims, job.outputName))).then(job.resolve, (error: unknown) => {
      // a run whose session died under it runs once more, first in line, on a live one
      if (died(slot, error) && !job.retried) queue.unshift({ ...job, retried: true });
      else job.reject(error);
    }).finally(() => {
      slot.busy = false;
      busyThreads -= slot.threads;
      running--;
      dispatch();
      if (slot !== main) noteLanesIdle();
      if (running === 0 && queue.length === 0) drained?.();
    });
  };

  function dispatch(): void {
    while (queue.length > 0) {
      const head = queue[0]!;
      const streaming = head.priority === 'throughput' || queue.length > 1 || running > 0;
      if (streaming) openLanes();
      let slot: Slot | undefined;
      if (streaming && lanes.length > 0) slot = lanes.find((l) => !l.busy && l.threads <= plan.threads - busyThreads);
      else if (running === 0 && mainDead) reopenMain();
      else if (running === 0) slot = main;
      if (!slot) return;
      queue.shift();
      start(slot, head);
    }
  }

  return {
    inputs: main.session.inputs,
    outputs: main.session.outputs,
    get parallelism() {
      return lanesWanted && !lanesFailed ? plan.lanes : 1;
    },
    run(input, dims, outputName, options: RunOptions = {}) {
      if (released) return Promise.reject(new InvalidStateError('the session is released', { reason: 'session_released' }));
      return new Promise<EngineOutput>((resolve, reject) => {
        queue.push({ input, dims, outputName, priority: options.priority ?? 'latency', resolve, reject });
        dispatch();
      });
    },
    release() {
      released ??= (async () => {
        if (running > 0 || queue.length > 0) await new Promise<void>((resolve) => (drained = resolve));
        clearTimeout(idleTimer);
        await opening;
        await reopening;
        await Promise.all([main, ...lanes].map((s) => s.session.release()));
        lanes = [];
      })();
      return released;
    },
  };
}
