import { describe, expect, test } from 'vitest';
import type { EngineOutput } from './inference-engine.port.js';
import { flush, input, makeHarness, outputFor, run, track, withOpenLanes } from '../../test/support/fake-sessions.js';
import { planSessions, scheduleSessions } from './session-scheduler.js';

describe('scheduleSessions: thread budget, order and results', () => {
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
});
