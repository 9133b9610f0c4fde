import { ValidationError } from '../../errors.js';
import type { JobDispatcher } from '../../jobs/job-dispatcher.port.js';
import type { JobServiceDeps } from '../../jobs/job-service.js';
import type { WorkerStore } from '../../workers/worker-store.port.js';
import { createBullmqJobDispatcher } from '../bullmq/bullmq-job-dispatcher.js';

/** Dispatch mode of the node platform: the Redis that BullMQ queues live on, and worker timing. */
export interface NodeDispatchOptions {
  /** `redis://` or `rediss://` (YOLOOPS_REDIS_URL): BullMQ queues there. */
  redisUrl?: string;
  /** Another dispatcher instead of BullMQ (e.g. `createMemoryJobDispatcher()` for one process); wins over `redisUrl`. */
  dispatcher?: JobDispatcher;
  /** A worker silent this long is dead and its jobs go to another (YOLOOPS_WORKER_TIMEOUT_MS, default 15000). */
  timeoutMs?: number;
  /** Heartbeat cadence workers are told (default 2000 ms). */
  heartbeatMs?: number;
  /** Where Redis connection trouble and failed dispatches are told (default: console.warn, at most once every 30 s). */
  onError?: (error: unknown) => void;
}

/** Throws `ValidationError` naming `name` unless `value` is a redis:// or rediss:// URL; returns it trimmed. */
export function parseRedisUrl(value: string, name = 'YOLOOPS_REDIS_URL'): string {
  const raw = value.trim();
  const url = URL.canParse(raw) ? new URL(raw) : undefined;
  if (url === undefined || !['redis:', 'rediss:'].includes(url.protocol) || url.hostname === '') {
    const got = url === undefined ? 'something that is not a URL' : `a ${url.protocol.replace(/:$/, '')}: URL`;
    throw new ValidationError(`${name} must be a redis:// or rediss:// URL such as redis://127.0.0.1:6379, got ${got}`, { reason: 'invalid_redis_url' });
  }
  return raw;
}

/** Dispatch options from `YOLOOPS_REDIS_URL` and `YOLOOPS_WORKER_TIMEOUT_MS`; undefined without a Redis URL. */
export function dispatchOptionsFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): NodeDispatchOptions | undefined {
  const url = env.YOLOOPS_REDIS_URL?.trim();
  if (url === undefined || url === '') return undefined;
  const timeout = env.YOLOOPS_WORKER_TIMEOUT_MS?.trim();
  if (timeout !== undefined && timeout !== '' && !/^\d{3,9}$/.test(timeout)) {
    throw new ValidationError(`YOLOOPS_WORKER_TIMEOUT_MS must be a number of milliseconds (at least 100), got "${timeout}"`, { reason: 'invalid_worker_timeout' });
  }
  return { redisUrl: parseRedisUrl(url), ...(timeout ? { timeoutMs: Number(timeout) } : {}) };
}

function throttledWarn(everyMs = 30_000): (error: unknown) => void {
  let last = 0;
  return (error) => {
    if (Date.now() - last < everyMs) return;
    last = Date.now();
    console.warn(`yoloops: job dispatch through Redis failed (retried by the watchdog): ${error instanceof Error ? error.message : String(error)}`);
  };
}

/** The job service's `dispatch` deps on BullMQ, with the platform's worker store; `close` releases Redis. */
export function openNodeDispatch(options: NodeDispatchOptions, workers: WorkerStore): { deps: NonNullable<JobServiceDeps['dispatch']>; close(): Promise<void> } {
  const onError = options.onError ?? throttledWarn();
  if (options.dispatcher === undefined && options.redisUrl === undefined) {
    throw new ValidationError('dispatch mode needs a Redis URL (YOLOOPS_REDIS_URL) or a dispatcher', { reason: 'no_dispatcher' });
  }
  const dispatcher = options.dispatcher ?? createBullmqJobDispatcher({ url: parseRedisUrl(options.redisUrl ?? ''), onError });
  return {
    deps: { dispatcher, workers, onError, ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }), ...(options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs }) },
    close: () => dispatcher.close(),
  };
}
