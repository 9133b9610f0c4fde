import { afterEach, describe, expect, test, vi } from 'vitest';
import { InvalidStateError } from '../errors.js';
import { flush, input, makeHarness, outputFor, run, track, withOpenLanes } from '../../test/support/fake-sessions.js';
import { planSessions, scheduleSessions, type OpenSession } from './session-scheduler.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('scheduleSessions: failures, idle lanes and release', () => {
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
});
