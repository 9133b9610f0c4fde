import { describe, expect, test } from 'vitest';
import { createMemoryServerInstanceStore } from '../adapters/memory/memory-server-instance-store.js';
import { createServerRegistry, ownedByLiveOther, recoverableHere } from './server-liveness.js';

const clockAt = (t: { ms: number }) => ({ now: () => new Date(t.ms) });

describe('createServerRegistry', () => {
  test('start registers a random srv_ id; others are live until silent past the timeout; close removes the record', async () => {
    const store = createMemoryServerInstanceStore();
    const t = { ms: Date.parse('2026-01-01T00:00:00.000Z') };
    const a = createServerRegistry({ store, clock: clockAt(t), timeoutMs: 10_000, hostname: 'api-1', pid: 7 });
    const b = createServerRegistry({ store, clock: clockAt(t), timeoutMs: 10_000 });
    expect(a.instanceId).toMatch(/^srv_[0-9a-f]{16}$/);
    expect(a.instanceId).not.toBe(b.instanceId);
    await a.start();
    await b.start();
    a.stop();
    b.stop();
    expect((await store.list()).find((i) => i.instance_id === a.instanceId)).toMatchObject({ hostname: 'api-1', pid: 7, last_heartbeat: '2026-01-01T00:00:00.000Z' });
    expect(await b.liveOthers()).toEqual(new Set([a.instanceId]));
    t.ms += 10_000;
    expect(await b.liveOthers()).toEqual(new Set([a.instanceId]));
    t.ms += 1;
    expect(await b.liveOthers()).toEqual(new Set());
    await a.close();
    expect((await store.list()).map((i) => i.instance_id)).toEqual([b.instanceId]);
  });

  test('refuses a heartbeat interval that is not below the timeout, naming both', () => {
    const store = createMemoryServerInstanceStore();
    expect(() => createServerRegistry({ store, clock: { now: () => new Date() }, timeoutMs: 1000, heartbeatMs: 1000 })).toThrow(/below the timeout 1000 \(got 1000\)/);
    expect(() => createServerRegistry({ store, clock: { now: () => new Date() }, timeoutMs: 0 })).toThrow(/timeout must be a positive integer/);
  });

  test('ownedByLiveOther: only a live owner other than this server protects the work', () => {
    const me = { instanceId: 'srv_me', liveOthers: async () => new Set<string>() };
    const live = new Set(['srv_other']);
    expect(ownedByLiveOther(me, live, 'srv_other')).toBe(true);
    expect(ownedByLiveOther(me, live, 'srv_dead')).toBe(false);
    expect(ownedByLiveOther(me, live, 'srv_me')).toBe(false);
    expect(ownedByLiveOther(me, live, undefined)).toBe(false);
    expect(ownedByLiveOther(undefined, live, 'srv_other')).toBe(false);
  });
});

describe('recoverableHere', () => {
  test('work without an owner, or of a dead other server, is recoverable; this server\'s own and a live other\'s are not', () => {
    const me = { instanceId: 'srv_me', liveOthers: async () => new Set<string>() };
    const live = new Set(['srv_other']);
    expect(recoverableHere(me, live, undefined)).toBe(true);
    expect(recoverableHere(me, live, 'srv_dead')).toBe(true);
    expect(recoverableHere(me, live, 'srv_me')).toBe(false);
    expect(recoverableHere(me, live, 'srv_other')).toBe(false);
    expect(recoverableHere(undefined, live, 'srv_other')).toBe(true);
  });
});

describe('createServerRegistry isGone', () => {
  test('an instance the local check says is gone is not live, even with a fresh heartbeat', async () => {
    const store = createMemoryServerInstanceStore();
    const clock = { now: () => new Date('2026-01-01T00:00:00.000Z') };
    const old = createServerRegistry({ store, clock, pid: 111 });
    const other = createServerRegistry({ store, clock, pid: 222 });
    await old.start();
    await other.start();
    old.stop();
    other.stop();
    const restarted = createServerRegistry({ store, clock, isGone: (i) => i.pid === 111 });
    expect(await restarted.liveOthers()).toEqual(new Set([other.instanceId]));
  });
});
