import { describe, expect, test, vi } from 'vitest';
import { InvalidStateError } from '../errors.js';
import { flush, input, makeHarness, outputFor, run, track, withOpenLanes, type Harness, type RunCall } from '../../test/support/fake-sessions.js';
import { planSessions, scheduleSessions } from './session-scheduler.js';

/** What a session whose worker is gone answers (the onnxruntime engine's `failAll`). */
const dead = () => new InvalidStateError('the onnxruntime session worker exited (1)', { reason: 'session_released' });

/** Every start of run `id`, in order (a retried run starts twice). */
const startsOf = (h: Harness, id: number): RunCall[] => h.calls.filter((c) => c.id === id);

describe('scheduleSessions: sessions that die', () => {
  test('a lane that dies is dropped and released; the run it failed runs once more on a live session', async () => {
    const h = makeHarness();
    const session = await withOpenLanes(h, planSessions(2));
    const [main, lane1, lane2] = h.sessions;
    const a = track(run(session, 1, 'throughput'));
    const b = track(run(session, 2, 'throughput'));
    await flush();
    expect(h.call(1).session).toBe(lane1);
    expect(h.call(2).session).toBe(lane2);

    h.call(1).reject(dead());
    await flush();
    expect(lane1!.releaseCalls).toBe(1);
    // lane 2 is busy and main cannot take every thread while it runs: the retry waits for lane 2
    expect(startsOf(h, 1)).toHaveLength(1);
    h.call(2).resolve();
    await flush();
    const retry = startsOf(h, 1)[1]!;
    expect(retry.session).toBe(lane2);
    retry.resolve();
    await flush();
    expect(a.value).toEqual(outputFor(input(1)));
    expect(b.value).toEqual(outputFor(input(2)));

    // the dead lane gets no more runs
    const c = track(run(session, 3, 'throughput'));
    const d = track(run(session, 4, 'throughput'));
    await flush();
    expect(h.inFlight().map((x) => x.session)).toEqual([lane2]);
    h.call(3).resolve();
    await flush();
    h.call(4).resolve();
    await flush();
    expect([c.value, d.value]).toEqual([outputFor(input(3)), outputFor(input(4))]);
    expect(h.calls.some((x) => x.session === lane1 && x.id > 1)).toBe(false);
    expect(main!.releaseCalls).toBe(0);
    expect(h.violations).toEqual([]);
  });

  test('a main session that dies is reopened with every thread, and the run it failed runs on the new one', async () => {
    const h = makeHarness();
    const session = await scheduleSessions(h.open, planSessions(4));
    const old = h.sessions[0]!;
    const a = track(run(session, 1));
    await flush();
    h.call(1).reject(dead());
    await flush();
    expect(old.releaseCalls).toBe(1);
    expect(h.openThreads).toEqual([4, 4]);
    const retry = startsOf(h, 1)[1]!;
    expect(retry.session).toBe(h.sessions[1]);
    retry.resolve();
    await flush();
    expect(a.value).toEqual(outputFor(input(1)));

    const b = run(session, 2);
    await flush();
    expect(h.call(2).session).toBe(h.sessions[1]);
    h.call(2).resolve();
    await expect(b).resolves.toEqual(outputFor(input(2)));
    expect(session.inputs).toBe(old.inputs); // what the model is does not change
  });

  test('a run is retried once: when the new session dies under it too, the caller gets the error', async () => {
    const h = makeHarness();
    const session = await scheduleSessions(h.open, planSessions(1));
    const a = track(run(session, 1));
    await flush();
    h.call(1).reject(dead());
    await flush();
    startsOf(h, 1)[1]!.reject(dead());
    await flush();
    expect(a.error).toMatchObject({ name: 'InvalidStateError', reason: 'session_released' });
    expect(startsOf(h, 1)).toHaveLength(2);
    // and the next run still gets a working session
    const b = run(session, 2);
    await flush();
    h.call(2).resolve();
    await expect(b).resolves.toEqual(outputFor(input(2)));
    expect(h.openThreads).toEqual([1, 1, 1]);
  });

  test('when the main session cannot be reopened, the runs waiting for it get why; the next run tries again', async () => {
    let failNext = false;
    const h = makeHarness({ failOpen: (index) => index === 1 && failNext });
    const session = await scheduleSessions(h.open, planSessions(1));
    failNext = true;
    const a = track(run(session, 1));
    const b = track(run(session, 2));
    await flush();
    h.call(1).reject(dead());
    await flush();
    expect(a.error).toEqual(new Error('open 1 failed'));
    expect(b.error).toEqual(new Error('open 1 failed'));

    const c = run(session, 3);
    await flush();
    expect(h.openThreads).toEqual([1, 1, 1]);
    h.call(3).resolve();
    await expect(c).resolves.toEqual(outputFor(input(3)));
  });

  test('other errors are the caller\'s alone: no retry, no new session', async () => {
    const h = makeHarness();
    const session = await scheduleSessions(h.open, planSessions(2));
    const closed = new InvalidStateError('the detector is closed', { reason: 'detector_closed' });
    const a = track(run(session, 1));
    await flush();
    h.call(1).reject(closed);
    await flush();
    expect(a.error).toBe(closed);
    expect(h.openThreads).toEqual([2]);
    expect(h.sessions[0]!.releaseCalls).toBe(0);
  });

  test('a session dying while the scheduler is released is not replaced', async () => {
    const h = makeHarness();
    const session = await scheduleSessions(h.open, planSessions(2));
    const a = track(run(session, 1));
    await flush();
    const released = session.release();
    h.call(1).reject(dead());
    await released;
    expect(a.error).toMatchObject({ reason: 'session_released' });
    expect(h.openThreads).toEqual([2]);
  });
});

describe('scheduleSessions: idle lanes while runs wait for the main session', () => {
  test('lanes whose idle time ends while runs wait are released later, even when those runs go to the main session', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const h = makeHarness();
      const session = await withOpenLanes(h, planSessions(2, undefined, 100));
      const [main, ...lanes] = h.sessions;
      const a = run(session, 1);
      await flush();
      expect(h.call(1).session).toBe(main);
      const b = run(session, 2); // waits: main holds both threads
      await flush();
      vi.advanceTimersByTime(100); // the lanes' idle time ends while run 2 waits
      await flush();
      expect(lanes.map((l) => l!.releaseCalls)).toEqual([0, 0]);
      h.call(1).resolve();
      await flush();
      expect(h.call(2).session).toBe(main); // alone again: a latency run takes the main session
      h.call(2).resolve();
      await Promise.all([a, b]);
      vi.advanceTimersByTime(100);
      await flush();
      expect(lanes.map((l) => l!.releaseCalls)).toEqual([1, 1]);
    } finally {
      vi.useRealTimers();
    }
  });
});
