import { backoffDelay, type BackoffOptions } from './backoff.js';
import type { AgentHttp, SendOutcome } from './http.js';
import type { Outbox, OutboxRecord } from './outbox.js';

/** The single background loop that drains the outbox in order. */
export interface Sender {
  /** Tells the loop a new record was journaled. */
  notify(): void;
  /** Resolves true once nothing is pending, false when `timeoutMs` passes first. */
  waitIdle(timeoutMs: number): Promise<boolean>;
  /** Stops the loop (aborting an in-flight request; its record stays pending in the journal). */
  stop(): Promise<void>;
}

/** What the sender drains, through what, and how patiently. */
export interface SenderDeps {
  outbox: Outbox;
  http: AgentHttp;
  backoff: BackoffOptions;
  log: (line: string) => void;
  random?: () => number;
}

/** A promise with its resolver, re-armed after each use. */
function trigger() {
  let fire = () => {};
  let promise = new Promise<void>((resolve) => (fire = resolve));
  return {
    wait: () => promise,
    fire() {
      fire();
      promise = new Promise<void>((resolve) => (fire = resolve));
    },
  };
}

/** Waits `ms` (unref'd: a pending retry never keeps the process alive by itself) or until `until` settles. */
function sleep(ms: number, until: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([new Promise<void>((resolve) => (timer = setTimeout(resolve, ms).unref())), until]).finally(() => clearTimeout(timer));
}

interface SenderState {
  deps: SenderDeps;
  work: ReturnType<typeof trigger>;
  idle: ReturnType<typeof trigger>;
  abort: AbortController;
  stopped: Promise<void>;
  failures: number;
}

async function deliver(state: SenderState, record: OutboxRecord): Promise<void> {
  const { deps } = state;
  const outcome = await deps.http.postJson(record.path, record.body, state.abort.signal);
  if (state.abort.signal.aborted) return;
  if (outcome.kind === 'retry') return retryLater(state, record, outcome);
  if (state.failures > 0) deps.log(`yoloops-agent: server reachable again after ${state.failures} failed attempt(s)`);
  state.failures = 0;
  if (outcome.kind === 'rejected') {
    deps.log(`yoloops-agent: server rejected ${record.eventId} (HTTP ${outcome.status}: ${outcome.message}); dropping it`);
  }
  deps.outbox.settle(record, outcome.kind);
}

/** Waits before the next try; logs the 1st, 2nd, 4th, 8th… failure of a streak so an outage does not flood stderr. */
async function retryLater(state: SenderState, record: OutboxRecord, outcome: Extract<SendOutcome, { kind: 'retry' }>): Promise<void> {
  const { deps } = state;
  state.failures += 1;
  const delay = outcome.retryAfterMs ?? backoffDelay(state.failures, deps.backoff, deps.random);
  if ((state.failures & (state.failures - 1)) === 0) {
    const waiting = deps.outbox.pending().length;
    deps.log(`yoloops-agent: sending ${record.eventId} failed (${outcome.reason}); retry ${state.failures} in ${delay} ms, ${waiting} event(s) waiting`);
  }
  await sleep(delay, state.stopped);
}

async function loop(state: SenderState): Promise<void> {
  while (!state.abort.signal.aborted) {
    const head = state.deps.outbox.pending()[0];
    if (head === undefined) {
      state.idle.fire();
      await Promise.race([state.work.wait(), state.stopped]);
      continue;
    }
    try {
      await deliver(state, head);
    } catch (error) {
      state.deps.log(`yoloops-agent: outbox error: ${String(error)}`);
      await sleep(1000, state.stopped);
    }
  }
}

async function waitIdle(state: SenderState, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const pending = () => state.deps.outbox.pending().length;
  while (pending() > 0 && !state.abort.signal.aborted) {
    const left = deadline - Date.now();
    if (left <= 0) return false;
    let timer: NodeJS.Timeout | undefined;
    const tick = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.min(left, 250))));
    await Promise.race([state.idle.wait(), tick]).finally(() => clearTimeout(timer));
  }
  return pending() === 0;
}

/**
 * Starts the sender: one request at a time, oldest record first; acked and rejected records are
 * settled in the journal, anything else is retried after full-jitter backoff or the server's
 * `Retry-After`, for as long as the process lives.
 */
export function startSender(deps: SenderDeps): Sender {
  let stopping: () => void = () => {};
  const stopped = new Promise<void>((resolve) => (stopping = resolve));
  const state: SenderState = { deps, work: trigger(), idle: trigger(), abort: new AbortController(), stopped, failures: 0 };
  const running = loop(state);
  return {
    notify: () => state.work.fire(),
    waitIdle: (timeoutMs) => waitIdle(state, timeoutMs),
    async stop() {
      state.abort.abort();
      stopping();
      await running;
    },
  };
}
