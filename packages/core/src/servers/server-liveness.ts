import { randomBytes } from 'node:crypto';
import { ValidationError } from '../errors.js';
import type { Clock } from '../platform/clock.port.js';
import type { ServerInstance, ServerInstanceStore } from './server-instance-store.port.js';

/** What recovery asks before touching interrupted work: is its owner another server that is still alive? */
export interface ServerLiveness {
  /** This server's instance id, recorded as the owner of the work it starts. */
  readonly instanceId: string;
  /** Ids of the other servers alive now (heartbeat newer than the timeout). */
  liveOthers(): Promise<ReadonlySet<string>>;
}

/** True when `owner` is another server that is alive: its work is not ours to recover. */
export function ownedByLiveOther(liveness: ServerLiveness | undefined, live: ReadonlySet<string>, owner: string | undefined): boolean {
  return liveness !== undefined && owner !== undefined && owner !== liveness.instanceId && live.has(owner);
}

/**
 * True when interrupted work may be recovered by this server: no owner recorded (alone, or written before owners were),
 * or an owner that is neither this server (its work is in progress here) nor a live other one.
 */
export function recoverableHere(liveness: ServerLiveness | undefined, live: ReadonlySet<string>, owner: string | undefined): boolean {
  return owner === undefined || liveness === undefined || (owner !== liveness.instanceId && !live.has(owner));
}

export interface ServerRegistryOptions {
  store: ServerInstanceStore;
  clock: Clock;
  /** Silent longer than this = dead (default 30 s). */
  timeoutMs?: number;
  /** How often this server heartbeats (default 5 s; must be below the timeout). */
  heartbeatMs?: number;
  /** Default: a random `srv_…` id. */
  instanceId?: string;
  hostname?: string;
  pid?: number;
  /**
   * Tells an instance is dead whatever its last heartbeat says, from what this machine knows: a previous life of this
   * server (same hostname, its pid gone or reused by this process) right after a kill -9 and restart.
   */
  isGone?: (instance: ServerInstance) => boolean;
}

/** Instances silent this long (1 day) are dropped from the store by the heartbeat. */
const FORGET_AFTER_MS = 86_400_000;

/** A server's registration among the servers sharing one database; `start()` heartbeats, `stop()` goes silent (as a crash), `close()` leaves. */
export interface ServerRegistry extends ServerLiveness {
  readonly timeoutMs: number;
  /** Records the first heartbeat, then heartbeats every `heartbeatMs` (unref'd timer). */
  start(): Promise<void>;
  /** Stops heartbeating and keeps the record: the others see this server die once the timeout passes. */
  stop(): void;
  /** Stops heartbeating and removes the record: the others may take over its work at once. */
  close(): Promise<void>;
}

/**
 * Registers this server under a random instance id and answers which other servers are alive.
 * @example
 * const registry = createServerRegistry({ store, clock: systemClock });
 * await registry.start();
 * const live = await registry.liveOthers();
 */
export function createServerRegistry(options: ServerRegistryOptions): ServerRegistry {
  const { store, clock } = options;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const heartbeatMs = options.heartbeatMs ?? Math.min(5_000, Math.floor(timeoutMs / 3));
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1) throw new ValidationError(`server liveness timeout must be a positive integer of ms (got ${timeoutMs})`, { reason: 'invalid_timeout' });
  if (!Number.isSafeInteger(heartbeatMs) || heartbeatMs < 1 || heartbeatMs >= timeoutMs) {
    throw new ValidationError(`server heartbeat interval must be a positive integer of ms below the timeout ${timeoutMs} (got ${heartbeatMs})`, { reason: 'invalid_heartbeat' });
  }
  const instanceId = options.instanceId ?? `srv_${randomBytes(8).toString('hex')}`;
  const startedAt = clock.now().toISOString();
  const record = (): ServerInstance => ({
    instance_id: instanceId, hostname: options.hostname ?? '', pid: options.pid ?? 0, started_at: startedAt, last_heartbeat: clock.now().toISOString(),
  });
  let timer: NodeJS.Timeout | undefined;
  const beat = async () => {
    await store.heartbeat(record());
    await store.forgetStaleAfter(new Date(clock.now().getTime() - FORGET_AFTER_MS).toISOString());
  };
  const stop = () => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  };
  return {
    instanceId,
    timeoutMs,
    async start() {
      await beat();
      stop();
      timer = setInterval(() => void beat().catch(() => undefined), heartbeatMs);
      timer.unref();
    },
    stop,
    async close() {
      stop();
      await store.remove(instanceId);
    },
    async liveOthers() {
      const since = new Date(clock.now().getTime() - timeoutMs).toISOString();
      const live = (await store.list()).filter((i) => i.instance_id !== instanceId && i.last_heartbeat >= since && options.isGone?.(i) !== true);
      return new Set(live.map((i) => i.instance_id));
    },
  };
}

/**
 * Runs the recoveries every `intervalMs` (unref'd timer; a round starts only when the last one ended), so the work of a
 * server that died while the others kept running is taken over without a restart; returns the function that stops it.
 */
export function startRecoverySweep(intervalMs: number, recoveries: ReadonlyArray<() => Promise<unknown>>): () => void {
  if (!Number.isSafeInteger(intervalMs) || intervalMs < 1) throw new ValidationError(`recovery sweep interval must be a positive integer of ms (got ${intervalMs})`, { reason: 'invalid_sweep' });
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void Promise.allSettled(recoveries.map((recover) => recover())).finally(() => (busy = false));
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
