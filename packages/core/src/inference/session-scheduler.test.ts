import { afterEach, describe, expect, test, vi } from 'vitest';
import { InvalidStateError } from '../errors.js';
import type { EngineOutput, EngineTensorInfo, InferenceSessionHandle, RunOptions } from './inference-engine.port.js';
import { planSessions, scheduleSessions, type OpenSession, type SessionSchedulePlan } from './session-scheduler.js';

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

interface FakeSession extends InferenceSessionHandle {
  readonly id: number;
  readonly threads: number;
  releaseCalls: number;
  busy: boolean;
}

interface RunCall {
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

interface HarnessOptions {
  /** Lane opens (every open after the first) wait until `resolveHeldOpens`. */
  holdLaneOpens?: boolean;
  /** Opens (0-based, in call order) for which this is true reject. */
  failOpen?: (openIndex: number, threads: number) => boolean;
}

/** The output a run on `input` yields unless the test says otherwise. */
const outputFor = (input: Float32Array): EngineOutput => ({ data: Float32Array.from(input, (v) => v * 10), dims: [input.length] });

const tensor = (name: string): EngineTensorInfo => ({ name, type: 'float32', dims: [1, 3, 'h', null] });

function makeHarness(options: HarnessOptions = {}) {
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

type Harness = ReturnType<typeof makeHarness>;

/** Lets promise chains and the scheduler's dispatch settle. */
async function flush(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

const input = (id: number) => new Float32Array([id, id + 0.5]);

function run(session: InferenceSessionHandle, id: number, priority?: RunOptions['priority']) {
  return session.run(input(id), [1, 2], 'output0', priority ? { priority } : undefined);
}

/** Tracks a promise's settlement without leaving a rejection unhandled. */
function track<T>(promise: Promise<T>) {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error: unknown) => Object.assign(state, { settled: true, error }),
  );
  return state;
}

/** A scheduler whose lanes are already open (by one throughput run that is then finished). */
async function withOpenLanes(h: Harness, plan: SessionSchedulePlan) {
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

afterEach(() => {
  vi.useRealTimers();
});

describe('planSessions', () => {
  test.each([
    { threads: 1, lanes: 0 },
    { threads: 2, lanes: 2 },
    { threads: 3, lanes: 2 },
    { threads: 7, lanes: 2 },
    { threads: 8, lanes: 4 },
    { threads: 16, lanes: 4 },
  ])('gives $lanes lanes by default on $threads threads', ({ threads, lanes }) => {
    expect(planSessions(threads)).toEqual({ threads, lanes, laneIdleMs: 30_000 });
  });

  test('honours explicit lanes', () => {
    expect(planSessions(8, 2)).toEqual({ threads: 8, lanes: 2, laneIdleMs: 30_000 });
    expect(planSessions(8, 3)).toEqual({ threads: 8, lanes: 3, laneIdleMs: 30_000 });
    expect(planSessions(8, 0).lanes).toBe(0);
    expect(planSessions(8, 1).lanes).toBe(1);
    expect(planSessions(2, 0).lanes).toBe(0);
  });

  test('clamps explicit lanes to the thread budget and to zero', () => {
    expect(planSessions(2, 5).lanes).toBe(2);
    expect(planSessions(4, 16).lanes).toBe(4);
    expect(planSessions(1, 4).lanes).toBe(1);
    expect(planSessions(4, -3).lanes).toBe(0);
  });

  test('floors non-integer threads and lanes, with at least one thread', () => {
    expect(planSessions(7.9)).toEqual({ threads: 7, lanes: 2, laneIdleMs: 30_000 });
    expect(planSessions(8.5, 2.7)).toEqual({ threads: 8, lanes: 2, laneIdleMs: 30_000 });
    expect(planSessions(1.99)).toEqual({ threads: 1, lanes: 0, laneIdleMs: 30_000 });
    expect(planSessions(0)).toEqual({ threads: 1, lanes: 0, laneIdleMs: 30_000 });
    expect(planSessions(-4)).toEqual({ threads: 1, lanes: 0, laneIdleMs: 30_000 });
  });

  test('passes the idle time through', () => {
    expect(planSessions(4, undefined, 250)).toEqual({ threads: 4, lanes: 2, laneIdleMs: 250 });
  });
});

describe('scheduleSessions', () => {
  test('opens the main session first with every thread, and nothing else until asked', async () => {
    const h = makeHarness();
    await scheduleSessions(h.open, planSessions(4));
    await flush();
    expect(h.openThreads).toEqual([4]);
  });

  test('a lone latency run (the default) goes to the main session and opens no lanes', async () => {
    const h = makeHarness();
    const session = await scheduleSessions(h.open, planSessions(4));

    for (const id of [1, 2, 3]) {
      const result = session.run(input(id), [1, 2], 'boxes');
      await flush();
      expect(h.calls).toHaveLength(id);
      const call = h.call(id);
      expect(call.session).toBe(h.sessions[0]);
      expect(call.session.threads).toBe(4);
      expect(call.input).toEqual(input(id));
      expect(call.dims).toEqual([1, 2]);
      expect(call.outputName).toBe('boxes');
      call.resolve();
      await expect(result).resolves.toEqual(outputFor(input(id)));
    }
    await flush();
    expect(h.openThreads).toEqual([4]);
    expect(h.violations).toEqual([]);
  });

  test('an explicit latency priority behaves like the default', async () => {
    const h = makeHarness();
    const session = await scheduleSessions(h.open, planSessions(8));
    const result = run(session, 1, 'latency');
    await flush();
    expect(h.call(1).session).toBe(h.sessions[0]);
    h.call(1).resolve();
    await result;
    await flush();
    expect(h.openThreads).toEqual([8]);
  });

  test('a throughput run opens the lanes with an equal share of the threads while the main session serves', async () => {
    const h = makeHarness({ holdLaneOpens: true });
    const session = await scheduleSessions(h.open, planSessions(8));

    const a = track(run(session, 1, 'throughput'));
    await flush();
    // 4 lanes of 8 / 4 = 2 threads each are opening; the run does not wait for them
    expect(h.openThreads).toEqual([8, 2, 2, 2, 2]);
    expect(h.call(1).session).toBe(h.sessions[0]);

    // a second throughput run waits: the main session is busy and the lanes are not open
    const b = track(run(session, 2, 'throughput'));
    await flush();
    expect(h.calls).toHaveLength(1);

    // the main session finishes first: the waiting run takes it, the lanes are still opening
    h.call(1).resolve();
    await flush();
    expect(a.value).toEqual(outputFor(input(1)));
    expect(h.call(2).session).toBe(h.sessions[0]);
    expect(h.openThreads).toHaveLength(5);

    h.call(2).resolve();
    await flush();
    expect(b.value).toEqual(outputFor(input(2)));
    expect(h.violations).toEqual([]);
  });

  test('with 7 threads the 2 lanes get 3 threads each', async () => {
    const h = makeHarness();
    const session = await scheduleSessions(h.open, planSessions(7));
    const a = run(session, 1, 'throughput');
    await flush();
    expect(h.openThreads).toEqual([7, 3, 3]);
    h.call(1).resolve();
    await a;
  });

  test('once the lanes are open, throughput runs take them two at a time side by side (2 threads)', async () => {
    const h = makeHarness({ holdLaneOpens: true });
    const plan = planSessions(2);
    const session = await scheduleSessions(h.open, plan);

    const results = [1, 2, 3].map((id) => track(run(session, id, 'throughput')));
    await flush();
    expect(h.openThreads).toEqual([2, 1, 1]);
    expect(h.calls.map((c) => c.id)).toEqual([1]);
    expect(h.call(1).session).toBe(h.sessions[0]);

    // the lanes open while the main session is busy: no lane may start (main holds both threads)
    h.resolveHeldOpens();
    await flush();
    expect(h.calls.map((c) => c.id)).toEqual([1]);

    // main finishes: runs 2 and 3 start together, one on each lane
    h.call(1).resolve();
    await flush();
    const lanes = h.sessions.slice(1);
    expect(h.inFlight().map((c) => c.id)).toEqual([2, 3]);
    expect(new Set([h.call(2).session, h.call(3).session])).toEqual(new Set(lanes));
    expect(h.busyThreads).toBe(2);

    // further throughput runs keep to the lanes, even when one lane is free and nothing else waits
    const d = track(run(session, 4, 'throughput'));
    await flush();
    expect(h.calls).toHaveLength(3);
    h.call(2).resolve();
    await flush();
    expect(h.call(4).session).toBe(h.call(2).session);
    expect(h.call(4).session).not.toBe(h.sessions[0]);

    h.call(3).resolve();
    h.call(4).resolve();
    await flush();
    expect(results.map((r) => r.value)).toEqual([1, 2, 3].map((id) => outputFor(input(id))));
    expect(d.value).toEqual(outputFor(input(4)));

    // a lone throughput run with the lanes idle takes a lane, not the main session
    const e = track(run(session, 5, 'throughput'));
    await flush();
    expect(lanes).toContain(h.call(5).session);
    h.call(5).resolve();
    await flush();
    expect(e.value).toEqual(outputFor(input(5)));

    // and a lone latency run still takes the main session
    const f = track(run(session, 6));
    await flush();
    expect(h.call(6).session).toBe(h.sessions[0]);
    h.call(6).resolve();
    await flush();
    expect(f.value).toEqual(outputFor(input(6)));

    expect(h.openThreads).toEqual([2, 1, 1]);
    expect(h.maxBusyThreads).toBe(2);
    expect(h.violations).toEqual([]);
  });

  test('a latency run that arrives while another runs also opens the lanes', async () => {
    const h = makeHarness({ holdLaneOpens: true });
    const session = await scheduleSessions(h.open, planSessions(4));
    const a = track(run(session, 1));
    await flush();
    expect(h.openThreads).toEqual([4]);
    const b = track(run(session, 2));
    await flush();
    expect(h.openThreads).toEqual([4, 2, 2]);
    expect(h.calls).toHaveLength(1);
    h.resolveHeldOpens();
    await flush();
    // the lanes are open but the main session holds every thread
    expect(h.calls).toHaveLength(1);
    h.call(1).resolve();
    await flush();
    // now alone, the latency run takes the main session
    expect(h.call(2).session).toBe(h.sessions[0]);
    h.call(2).resolve();
    await flush();
    expect([a.value, b.value]).toEqual([outputFor(input(1)), outputFor(input(2))]);
  });

  describe('thread budget', () => {
    test('throughput runs wait while the main session holds every thread', async () => {
      const h = makeHarness();
      const session = await withOpenLanes(h, planSessions(2));
      const [main, lane1, lane2] = h.sessions;

      run(session, 1);
      await flush();
      expect(h.call(1).session).toBe(main);

      const t = [2, 3, 4].map((id) => track(run(session, id, 'throughput')));
      await flush();
      expect(h.inFlight().map((c) => c.id)).toEqual([1]);
      expect(h.busyThreads).toBe(2);

      h.call(1).resolve();
      await flush();
      expect(h.inFlight().map((c) => c.id)).toEqual([2, 3]);
      expect(new Set(h.inFlight().map((c) => c.session))).toEqual(new Set([lane1, lane2]));

      h.call(2).resolve();
      h.call(3).resolve();
      await flush();
      expect(h.inFlight().map((c) => c.id)).toEqual([4]);
      h.call(4).resolve();
      await flush();
      expect(t.every((r) => r.settled && r.error === undefined)).toBe(true);
      expect(h.maxBusyThreads).toBe(2);
      expect(h.violations).toEqual([]);
    });

    test('a latency run waits while the lanes hold every thread (no third run at once)', async () => {
      const h = makeHarness();
      const session = await withOpenLanes(h, planSessions(2));
      const main = h.sessions[0];

      run(session, 1, 'throughput');
      run(session, 2, 'throughput');
      await flush();
      expect(h.inFlight().map((c) => c.id)).toEqual([1, 2]);

      const latency = track(run(session, 3));
      await flush();
      expect(h.inFlight().map((c) => c.id)).toEqual([1, 2]);
      expect(h.busyThreads).toBe(2);

      h.call(2).resolve();
      await flush();
      // it takes the freed lane (another run is still going), never the main session
      expect(h.call(3).session).toBe(h.call(2).session);
      expect(h.call(3).session).not.toBe(main);
      h.call(1).resolve();
      h.call(3).resolve();
      await flush();
      expect(latency.value).toEqual(outputFor(input(3)));
      expect(h.maxBusyThreads).toBe(2);
      expect(h.violations).toEqual([]);
    });

    test('the main session waits for every lane to finish', async () => {
      const h = makeHarness();
      const session = await withOpenLanes(h, planSessions(8));
      const main = h.sessions[0];

      for (const id of [1, 2, 3]) run(session, id, 'throughput');
      await flush();
      expect(h.inFlight()).toHaveLength(3);

      for (const id of [1, 2, 3]) {
        h.call(id).resolve();
        await flush();
      }
      // everything finished; a lone latency run now takes the main session with all 8 threads
      run(session, 4);
      await flush();
      expect(h.call(4).session).toBe(main);
      expect(h.busyThreads).toBe(8);

      // throughput runs wait for it
      run(session, 5, 'throughput');
      run(session, 6, 'throughput');
      await flush();
      expect(h.inFlight().map((c) => c.id)).toEqual([4]);
      h.call(4).resolve();
      await flush();
      expect(h.inFlight().map((c) => c.id)).toEqual([5, 6]);
      expect(h.busyThreads).toBe(4);
      h.call(5).resolve();
      h.call(6).resolve();
      await flush();
      expect(h.maxBusyThreads).toBe(8);
      expect(h.violations).toEqual([]);
    });

    test.each([
      { threads: 2, lanes: undefined },
      { threads: 4, lanes: undefined },
      { threads: 7, lanes: undefined },
      { threads: 8, lanes: undefined },
      { threads: 8, lanes: 3 },
      { threads: 3, lanes: 3 },
    ])('never uses more than $threads threads over a mixed sequence (lanes $lanes)', async ({ threads, lanes }) => {
      const plan = planSessions(threads, lanes);
      const h = makeHarness();
      const session = await scheduleSessions(h.open, plan);
      let seed = 12345 + threads * 7 + (lanes ?? 0);
      const random = () => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed / 2 ** 31;
      };

      const results = new Map<number, ReturnType<typeof track<EngineOutput>>>();
      let next = 0;
      for (let step = 0; step < 150; step++) {
        const inFlight = h.inFlight();
        if (inFlight.length === 0 || random() < 0.55) {
          const id = next++;
          results.set(id, track(run(session, id, random() < 0.5 ? 'throughput' : 'latency')));
        } else {
          const call = inFlight[Math.floor(random() * inFlight.length)]!;
          if (random() < 0.15) call.reject(new Error(`failed ${call.id}`));
          else call.resolve();
        }
        if (random() < 0.7) await flush(2);
        expect(h.busyThreads).toBeLessThanOrEqual(plan.threads);
      }
      // drain
      for (let guard = 0; guard < 1000 && [...results.values()].some((r) => !r.settled); guard++) {
        for (const call of h.inFlight()) call.resolve();
        await flush(2);
      }

      expect(h.maxBusyThreads).toBeLessThanOrEqual(plan.threads);
      expect(h.violations).toEqual([]);
      // runs started in the order they were asked for
      expect(h.calls.map((c) => c.id)).toEqual([...Array(next).keys()]);
      // each caller got its own outcome
      for (const call of h.calls) {
        const result = results.get(call.id)!;
        expect(result.settled).toBe(true);
        if (result.error !== undefined) expect((result.error as Error).message).toBe(`failed ${call.id}`);
        else expect(result.value).toEqual(outputFor(input(call.id)));
      }
      // the sequence really used the lanes side by side
      expect(h.calls.some((c) => c.session !== h.sessions[0])).toBe(true);
      expect(h.maxBusyThreads).toBeGreaterThan(Math.floor(plan.threads / plan.lanes));
    });
  });

  describe('order and results', () => {
    test('runs start in the order asked for and each result reaches its caller, whatever order they finish in', async () => {
      const h = makeHarness();
      const session = await withOpenLanes(h, planSessions(8));

      const ids = [1, 2, 3, 4, 5, 6, 7];
      const results = ids.map((id) => track(run(session, id, 'throughput')));
      await flush();
      expect(h.inFlight().map((c) => c.id)).toEqual([1, 2, 3, 4]);

      h.call(3).resolve();
      await flush();
      expect(h.calls.map((c) => c.id)).toEqual([1, 2, 3, 4, 5]);
      h.call(5).resolve({ data: new Float32Array([55]), dims: [1] });
      h.call(2).reject(new Error('run 2 failed'));
      await flush();
      expect(h.calls.map((c) => c.id)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      for (const id of [7, 4, 1, 6]) h.call(id).resolve();
      await flush();

      expect(results.every((r) => r.settled)).toBe(true);
      expect(results[0]!.value).toEqual(outputFor(input(1)));
      expect(results[1]!.error).toEqual(new Error('run 2 failed'));
      expect(results[1]!.value).toBeUndefined();
      expect(results[2]!.value).toEqual(outputFor(input(3)));
      expect(results[3]!.value).toEqual(outputFor(input(4)));
      expect(results[4]!.value).toEqual({ data: new Float32Array([55]), dims: [1] });
      expect(results[5]!.value).toEqual(outputFor(input(6)));
      expect(results[6]!.value).toEqual(outputFor(input(7)));
      expect(h.violations).toEqual([]);
    });

    test('a waiting latency run is not overtaken by a later throughput run', async () => {
      const h = makeHarness();
      const session = await withOpenLanes(h, planSessions(2));
      run(session, 1, 'throughput');
      run(session, 2, 'throughput');
      run(session, 3, 'latency');
      run(session, 4, 'throughput');
      await flush();
      h.call(1).resolve();
      await flush();
      expect(h.calls.map((c) => c.id)).toEqual([1, 2, 3]);
      h.call(2).resolve();
      await flush();
      expect(h.calls.map((c) => c.id)).toEqual([1, 2, 3, 4]);
      h.call(3).resolve();
      h.call(4).resolve();
      await flush();
    });

    test('runs queued while the main session is busy and no lanes exist run one by one in order', async () => {
      const h = makeHarness();
      const session = await scheduleSessions(h.open, planSessions(1));
      const results = [1, 2, 3, 4].map((id) => track(run(session, id, id % 2 ? 'throughput' : 'latency')));
      for (const id of [1, 2, 3, 4]) {
        await flush();
        expect(h.inFlight().map((c) => c.id)).toEqual([id]);
        h.call(id).resolve();
      }
      await flush();
      expect(results.map((r) => r.value)).toEqual([1, 2, 3, 4].map((id) => outputFor(input(id))));
      expect(h.openThreads).toEqual([1]);
      expect(h.calls.every((c) => c.session === h.sessions[0])).toBe(true);
    });
  });

  describe('failed runs', () => {
    test('a rejected run rejects only its caller; the session keeps working', async () => {
      const h = makeHarness();
      const session = await scheduleSessions(h.open, planSessions(4));
      const failure = new Error('out of memory');

      const a = run(session, 1);
      await flush();
      h.call(1).reject(failure);
      await expect(a).rejects.toBe(failure);

      const b = run(session, 2);
      await flush();
      expect(h.call(2).session).toBe(h.sessions[0]);
      h.call(2).resolve();
      await expect(b).resolves.toEqual(outputFor(input(2)));
    });

    test('a rejected run among concurrent ones leaves the others and later runs unharmed', async () => {
      const h = makeHarness();
      const session = await withOpenLanes(h, planSessions(2));
      const a = track(run(session, 1, 'throughput'));
      const b = track(run(session, 2, 'throughput'));
      const c = track(run(session, 3, 'throughput'));
      await flush();
      h.call(1).reject(new Error('bad input'));
      await flush();
      expect(a.error).toEqual(new Error('bad input'));
      expect(b.settled).toBe(false);
      // the failed run's lane is free again
      expect(h.call(3).session).toBe(h.call(1).session);
      h.call(2).resolve();
      h.call(3).resolve();
      await flush();
      expect(b.value).toEqual(outputFor(input(2)));
      expect(c.value).toEqual(outputFor(input(3)));

      const d = run(session, 4);
      await flush();
      expect(h.call(4).session).toBe(h.sessions[0]);
      h.call(4).resolve();
      await expect(d).resolves.toEqual(outputFor(input(4)));
      expect(h.busyThreads).toBe(0);
      expect(h.violations).toEqual([]);
    });
  });

  describe('lanes that fail to open', () => {
    test('release the ones that opened, drop parallelism to 1 and leave every run to the main session', async () => {
      // open 0 is the main session; open 2 (the second lane) fails
      const h = makeHarness({ failOpen: (index) => index === 2 });
      const session = await scheduleSessions(h.open, planSessions(2));
      expect(session.parallelism).toBe(2);

      const a = track(run(session, 1, 'throughput'));
      await flush();
      expect(h.openThreads).toEqual([2, 1, 1]);
      expect(h.call(1).session).toBe(h.sessions[0]);
      // the lane that did open is released
      expect(h.sessions).toHaveLength(2);
      expect(h.sessions[1]!.releaseCalls).toBe(1);
      expect(session.parallelism).toBe(1);
      expect(h.sessions[0]!.releaseCalls).toBe(0);

      const more = [2, 3, 4].map((id) => track(run(session, id, 'throughput')));
      h.call(1).resolve();
      for (const id of [2, 3, 4]) {
        await flush();
        expect(h.inFlight().map((c) => c.id)).toEqual([id]);
        expect(h.call(id).session).toBe(h.sessions[0]);
        h.call(id).resolve();
      }
      await flush();
      expect(a.value).toEqual(outputFor(input(1)));
      expect(more.map((r) => r.value)).toEqual([2, 3, 4].map((id) => outputFor(input(id))));
      // not retried
      expect(h.openThreads).toEqual([2, 1, 1]);
      expect(session.parallelism).toBe(1);
      expect(h.violations).toEqual([]);
    });

    test('when every lane fails, runs still succeed on the main session', async () => {
      const h = makeHarness({ failOpen: (index) => index > 0 });
      const session = await scheduleSessions(h.open, planSessions(8));
      const results = [1, 2, 3].map((id) => track(run(session, id, 'throughput')));
      for (const id of [1, 2, 3]) {
        await flush();
        expect(h.inFlight().map((c) => c.id)).toEqual([id]);
        h.call(id).resolve();
      }
      await flush();
      expect(results.map((r) => r.value)).toEqual([1, 2, 3].map((id) => outputFor(input(id))));
      expect(h.openThreads).toEqual([8, 2, 2, 2, 2]);
      expect(session.parallelism).toBe(1);
    });

    test('a main session that fails to open fails the scheduler', async () => {
      const h = makeHarness({ failOpen: (index) => index === 0 });
      await expect(scheduleSessions(h.open, planSessions(4))).rejects.toThrow('open 0 failed');
    });
  });

  describe('idle lanes', () => {
    test('are released after laneIdleMs without use and reopened on demand', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const h = makeHarness();
      const session = await scheduleSessions(h.open, planSessions(2, undefined, 100));

      run(session, 1, 'throughput');
      run(session, 2, 'throughput');
      await flush();
      expect(h.openThreads).toEqual([2, 1, 1]);
      h.call(1).resolve();
      await flush();
      const [main, lane1, lane2] = h.sessions;
      expect(h.call(2).session).not.toBe(main);
      h.call(2).resolve();
      await flush();

      vi.advanceTimersByTime(99);
      await flush();
      expect(lane1!.releaseCalls).toBe(0);
      expect(lane2!.releaseCalls).toBe(0);

      vi.advanceTimersByTime(1);
      await flush();
      expect(lane1!.releaseCalls).toBe(1);
      expect(lane2!.releaseCalls).toBe(1);
      expect(main!.releaseCalls).toBe(0);

      // a later throughput run opens new lanes (meanwhile the main session serves)
      const c = track(run(session, 3, 'throughput'));
      await flush();
      expect(h.openThreads).toEqual([2, 1, 1, 1, 1]);
      expect(h.call(3).session).toBe(main);
      h.call(3).resolve();
      await flush();
      const d = track(run(session, 4, 'throughput'));
      await flush();
      expect(h.sessions.slice(3)).toContain(h.call(4).session);
      h.call(4).resolve();
      await flush();
      expect(c.value).toEqual(outputFor(input(3)));
      expect(d.value).toEqual(outputFor(input(4)));
      expect(h.violations).toEqual([]);
    });

    test('are kept while in use: each use restarts the idle time', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const h = makeHarness();
      const session = await withOpenLanes(h, planSessions(2, undefined, 100));
      const lanes = h.sessions.slice(1);

      for (const id of [1, 2, 3, 4]) {
        vi.advanceTimersByTime(60);
        await flush();
        run(session, id, 'throughput');
        await flush();
        expect(lanes).toContain(h.call(id).session);
        // a lane run in flight past the idle time keeps the lanes
        vi.advanceTimersByTime(150);
        await flush();
        expect(lanes.map((l) => l.releaseCalls)).toEqual([0, 0]);
        h.call(id).resolve();
        await flush();
      }
      expect(h.openThreads).toHaveLength(3);

      vi.advanceTimersByTime(100);
      await flush();
      expect(lanes.map((l) => l.releaseCalls)).toEqual([1, 1]);
      expect(h.sessions[0]!.releaseCalls).toBe(0);
    });

    test('are not released while runs wait for them', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const h = makeHarness();
      // the warm-up run ends after the lanes opened, which starts their idle time
      const session = await withOpenLanes(h, planSessions(2, undefined, 100));
      const lanes = h.sessions.slice(1);

      run(session, 1);
      await flush();
      expect(h.call(1).session).toBe(h.sessions[0]);
      run(session, 2, 'throughput');
      run(session, 3, 'throughput');
      await flush();
      expect(h.inFlight().map((c) => c.id)).toEqual([1]);

      // the idle time passes while runs are queued for the lanes
      vi.advanceTimersByTime(500);
      await flush();
      expect(lanes.map((l) => l.releaseCalls)).toEqual([0, 0]);

      h.call(1).resolve();
      await flush();
      expect(new Set(h.inFlight().map((c) => c.session))).toEqual(new Set(lanes));
      expect(h.openThreads).toHaveLength(3);
      h.call(2).resolve();
      h.call(3).resolve();
      await flush();
      vi.advanceTimersByTime(100);
      await flush();
      expect(lanes.map((l) => l.releaseCalls)).toEqual([1, 1]);
      expect(h.violations).toEqual([]);
    });
    test('lanes that open after their demand passed, and are never used, still time out', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const h = makeHarness({ holdLaneOpens: true });
      const session = await scheduleSessions(h.open, planSessions(2, undefined, 100));
      const first = run(session, 1, 'throughput');
      await flush();
      expect(h.call(1).session).toBe(h.sessions[0]);
      h.call(1).resolve();
      await first;
      h.resolveHeldOpens();
      await flush();
      const lanes = h.sessions.slice(1);
      expect(lanes).toHaveLength(2);
      vi.advanceTimersByTime(100);
      await flush();
      expect(lanes.map((l) => l.releaseCalls)).toEqual([1, 1]);
      expect(h.sessions[0]!.releaseCalls).toBe(0);
    });

    test('runs on the main session do not keep unused lanes alive', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const h = makeHarness();
      const session = await withOpenLanes(h, planSessions(2, undefined, 100));
      const lanes = h.sessions.slice(1);
      for (let id = 1; id <= 5; id++) {
        const done = run(session, id);
        await flush();
        expect(h.call(id).session).toBe(h.sessions[0]);
        vi.advanceTimersByTime(30);
        h.call(id).resolve();
        await done;
        await flush();
      }
      // 150 ms of main-session runs: the lanes went unused for longer than 100 ms
      expect(lanes.map((l) => l.releaseCalls)).toEqual([1, 1]);
    });

    test('a runtime that throws instead of rejecting fails that run only and frees its session', async () => {
      const h = makeHarness();
      const session = await scheduleSessions(h.open, planSessions(1));
      const main = h.sessions[0]!;
      const realRun = main.run.bind(main);
      main.run = () => {
        throw new Error('thrown synchronously');
      };
      await expect(run(session, 1)).rejects.toThrow('thrown synchronously');
      main.run = realRun;
      const next = run(session, 2);
      await flush();
      h.call(2).resolve();
      await expect(next).resolves.toEqual(outputFor(input(2)));
    });

    test('an open that throws instead of rejecting leaves the main session serving, and is not retried', async () => {
      const h = makeHarness();
      let opens = 0;
      const open: OpenSession = (threads) => {
        if (opens++ > 0) throw new Error('no more workers');
        return h.open(threads);
      };
      const session = await scheduleSessions(open, planSessions(2));
      for (const id of [1, 2]) {
        const done = run(session, id, 'throughput');
        await flush();
        h.call(id).resolve();
        await expect(done).resolves.toEqual(outputFor(input(id)));
      }
      expect(session.parallelism).toBe(1);
      expect(opens).toBe(3);
    });
  });

  describe('release', () => {
    test('waits for runs in flight and queued, then releases the main session and the lanes', async () => {
      const h = makeHarness();
      const session = await withOpenLanes(h, planSessions(2));
      const [main, lane1, lane2] = h.sessions;

      const a = track(run(session, 1, 'throughput'));
      const b = track(run(session, 2, 'throughput'));
      const c = track(run(session, 3, 'throughput'));
      await flush();

      const released = session.release();
      expect(session.release()).toBe(released);
      const releasedState = track(released);

      const late = session.run(input(9), [1, 2]);
      await expect(late).rejects.toBeInstanceOf(InvalidStateError);
      await expect(late).rejects.toMatchObject({ name: 'InvalidStateError', code: 'INVALID_STATE', reason: 'session_released' });

      await flush();
      expect(releasedState.settled).toBe(false);
      expect(h.sessions.map((s) => s.releaseCalls)).toEqual([0, 0, 0]);

      // the queued run still runs
      h.call(1).resolve();
      await flush();
      expect(h.inFlight().map((x) => x.id)).toEqual([2, 3]);
      h.call(2).resolve();
      await flush();
      expect(releasedState.settled).toBe(false);
      expect(h.sessions.map((s) => s.releaseCalls)).toEqual([0, 0, 0]);

      h.call(3).resolve();
      await released;
      expect([a.value, b.value, c.value]).toEqual([1, 2, 3].map((id) => outputFor(input(id))));
      expect(main!.releaseCalls).toBe(1);
      expect(lane1!.releaseCalls).toBe(1);
      expect(lane2!.releaseCalls).toBe(1);
      expect(h.calls.some((x) => x.id === 9)).toBe(false);

      // safe to call again: same promise, nothing released twice
      expect(session.release()).toBe(released);
      await session.release();
      await flush();
      expect(h.sessions.map((s) => s.releaseCalls)).toEqual([1, 1, 1]);
      await expect(run(session, 10, 'throughput')).rejects.toMatchObject({ reason: 'session_released' });
      expect(h.violations).toEqual([]);
    });

    test('an idle session without lanes releases only the main session, at once', async () => {
      const h = makeHarness();
      const session = await scheduleSessions(h.open, planSessions(4));
      await session.release();
      expect(h.sessions.map((s) => s.releaseCalls)).toEqual([1]);
      expect(h.openThreads).toEqual([4]);
      await expect(session.run(input(1), [1, 2])).rejects.toMatchObject({ name: 'InvalidStateError', reason: 'session_released' });
    });

    test('waits for lanes still opening and releases them too', async () => {
      const h = makeHarness({ holdLaneOpens: true });
      const session = await scheduleSessions(h.open, planSessions(4));
      const a = track(run(session, 1, 'throughput'));
      await flush();
      expect(h.openThreads).toEqual([4, 2, 2]);

      const released = track(session.release());
      h.call(1).resolve();
      await flush();
      expect(a.value).toEqual(outputFor(input(1)));
      expect(released.settled).toBe(false);

      h.resolveHeldOpens();
      await flush();
      expect(released.settled).toBe(true);
      expect(released.error).toBeUndefined();
      expect(h.sessions.map((s) => s.releaseCalls)).toEqual([1, 1, 1]);
    });

    test('releases lanes that were already released for idleness only once', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const h = makeHarness();
      const session = await withOpenLanes(h, planSessions(2, undefined, 50));
      vi.advanceTimersByTime(50);
      await flush();
      expect(h.sessions.map((s) => s.releaseCalls)).toEqual([0, 1, 1]);
      await session.release();
      expect(h.sessions.map((s) => s.releaseCalls)).toEqual([1, 1, 1]);
    });
  });

  describe('inputs, outputs and parallelism', () => {
    test('inputs and outputs are the main session’s', async () => {
      const h = makeHarness();
      const session = await scheduleSessions(h.open, planSessions(8));
      expect(session.inputs).toBe(h.sessions[0]!.inputs);
      expect(session.outputs).toBe(h.sessions[0]!.outputs);
      expect(session.inputs[0]!.name).toBe('images_0');
      expect(session.outputs[0]!.name).toBe('output0_0');
    });

    test.each([
      { threads: 1, lanes: undefined, parallelism: 1 },
      { threads: 2, lanes: undefined, parallelism: 2 },
      { threads: 7, lanes: undefined, parallelism: 2 },
      { threads: 8, lanes: undefined, parallelism: 4 },
      { threads: 8, lanes: 3, parallelism: 3 },
      { threads: 8, lanes: 1, parallelism: 1 },
      { threads: 8, lanes: 0, parallelism: 1 },
    ])('parallelism is $parallelism on $threads threads with lanes $lanes', async ({ threads, lanes, parallelism }) => {
      const h = makeHarness();
      const session = await scheduleSessions(h.open, planSessions(threads, lanes));
      expect(session.parallelism).toBe(parallelism);
    });

    test.each([0, 1])('with %i lanes, throughput runs open nothing and share the main session one at a time', async (lanes) => {
      const h = makeHarness();
      const session = await scheduleSessions(h.open, planSessions(8, lanes));
      const results = [1, 2, 3].map((id) => track(run(session, id, 'throughput')));
      for (const id of [1, 2, 3]) {
        await flush();
        expect(h.inFlight().map((c) => c.id)).toEqual([id]);
        expect(h.call(id).session).toBe(h.sessions[0]);
        h.call(id).resolve();
      }
      await flush();
      expect(results.map((r) => r.value)).toEqual([1, 2, 3].map((id) => outputFor(input(id))));
      expect(h.openThreads).toEqual([8]);
      expect(session.parallelism).toBe(1);
    });
  });
});
