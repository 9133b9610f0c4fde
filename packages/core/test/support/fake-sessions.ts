/**
 * Fake sessions for the session scheduler's tests: `open` records each session it opens (its threads),
 * and every run waits until the test settles it by hand, while the harness checks that no session runs
 * twice at once, none runs after release, and records the threads busy at each moment.
 */
import { expect } from 'vitest';
import type { EngineOutput, EngineTensorInfo, InferenceSessionHandle, RunOptions } from '../../src/inference/inference-engine.port.js';
import { scheduleSessions, type OpenSession, type SessionSchedulePlan } from '../../src/inference/session-scheduler.js';

export interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export interface FakeSession extends InferenceSessionHandle {
  readonly id: number;
  readonly threads: number;
  releaseCalls: number;
  busy: boolean;
}

export interface RunCall {
  session: FakeSession;
  /** The id the test gave the run: the first element of its input. */
  id: number;
  input: Float32Array;
  dims: readonly number[];
  outputName: string | undefined;
  settled: boolean;
  /** Settles the run with an output derived from its input (or the one given). */
  resolve(output?: EngineOutput): void;
  reject(error: unknown): void;
}

export interface HarnessOptions {
  /** Lane opens (every open after the first) wait until `resolveHeldOpens`. */
  holdLaneOpens?: boolean;
  /** Opens (0-based, in call order) for which this is true reject. */
  failOpen?: (openIndex: number, threads: number) => boolean;
}

/** The output a run on `input` yields unless the test says otherwise. */
export const outputFor = (input: Float32Array): EngineOutput => ({ data: Float32Array.from(input, (v) => v * 10), dims: [input.length] });

export const tensor = (name: string): EngineTensorInfo => ({ name, type: 'float32', dims: [1, 3, 'h', null] });

export function makeHarness(options: HarnessOptions = {}) {
  const openThreads: number[] = [];
  const sessions: FakeSession[] = [];
  const calls: RunCall[] = [];
  const heldOpens: (() => void)[] = [];
  const violations: string[] = [];
  let busyThreads = 0;
  let maxBusyThreads = 0;

  const fakeSession = (threads: number): FakeSession => {
    const id = sessions.length;
    const session: FakeSession = {
      id,
      threads,
      releaseCalls: 0,
      busy: false,
      inputs: [tensor(`images_${id}`)],
      outputs: [tensor(`output0_${id}`)],
      run(input, dims, outputName) {
        if (session.releaseCalls > 0) violations.push(`run on released session ${id}`);
        if (session.busy) violations.push(`two runs at once on session ${id}`);
        session.busy = true;
        busyThreads += threads;
        maxBusyThreads = Math.max(maxBusyThreads, busyThreads);
        const done = deferred<EngineOutput>();
        const settle = () => {
          if (call.settled) throw new Error(`run ${call.id} settled twice`);
          call.settled = true;
          session.busy = false;
          busyThreads -= threads;
        };
        const call: RunCall = {
          session,
          id: input[0] ?? Number.NaN,
          input,
          dims,
          outputName,
          settled: false,
          resolve(output) {
            settle();
            done.resolve(output ?? outputFor(input));
          },
          reject(error) {
            settle();
            done.reject(error);
          },
        };
        calls.push(call);
        return done.promise;
      },
      async release() {
        session.releaseCalls++;
      },
    };
    sessions.push(session);
    return session;
  };

  const open: OpenSession = (threads) => {
    const index = openThreads.length;
    openThreads.push(threads);
    if (options.failOpen?.(index, threads)) return Promise.reject(new Error(`open ${index} failed`));
    const session = fakeSession(threads);
    if (options.holdLaneOpens && index > 0) {
      const opened = deferred<InferenceSessionHandle>();
      heldOpens.push(() => opened.resolve(session));
      return opened.promise;
    }
    return Promise.resolve(session);
  };

  return {
    open,
    openThreads,
    sessions,
    calls,
    violations,
    get busyThreads() {
      return busyThreads;
    },
    get maxBusyThreads() {
      return maxBusyThreads;
    },
    /** Runs not yet settled, in the order they started. */
    inFlight: () => calls.filter((c) => !c.settled),
    call(id: number): RunCall {
      const found = calls.find((c) => c.id === id);
      if (!found) throw new Error(`run ${id} has not started`);
      return found;
    },
    resolveHeldOpens() {
      for (const resolve of heldOpens.splice(0)) resolve();
    },
  };
}

export type Harness = ReturnType<typeof makeHarness>;

/** Lets promise chains and the scheduler's dispatch settle. */
export async function flush(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export const input = (id: number) => new Float32Array([id, id + 0.5]);

export function run(session: InferenceSessionHandle, id: number, priority?: RunOptions['priority']) {
  return session.run(input(id), [1, 2], 'output0', priority ? { priority } : undefined);
}

/** Tracks a promise's settlement without leaving a rejection unhandled. */
export function track<T>(promise: Promise<T>) {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error: unknown) => Object.assign(state, { settled: true, error }),
  );
  return state;
}

/** A scheduler whose lanes are already open (by one throughput run that is then finished). */
export async function withOpenLanes(h: Harness, plan: SessionSchedulePlan) {
  const session = await scheduleSessions(h.open, plan);
  const warm = run(session, -1, 'throughput');
  await flush();
  h.call(-1).resolve();
  await warm;
  await flush();
  expect(h.openThreads).toHaveLength(1 + plan.lanes);
  h.calls.splice(0); // forget the warm-up run
  return session;
}
