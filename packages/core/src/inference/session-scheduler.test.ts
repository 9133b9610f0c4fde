import { describe, expect, test } from 'vitest';
import { flush, makeHarness, outputFor, input, run, track } from '../../test/support/fake-sessions.js';
import { planSessions, scheduleSessions } from './session-scheduler.js';

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
