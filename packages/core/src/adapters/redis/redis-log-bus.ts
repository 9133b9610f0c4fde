import type { RedisOptions } from 'ioredis';
import { loadIoredis } from './load-ioredis.js';
import type { LogBus, LogBusListener, LogBusMessage } from '../../jobs/log-bus.port.js';

/** Options of {@link createRedisLogBus}. */
export interface RedisLogBusOptions {
  /** `redis://[:password@]host:6379[/db]` (`YOLOOPS_REDIS_URL`). */
  url: string;
  /** Channel prefix (default `yoloops:logs:`); servers of one deployment must share it. */
  prefix?: string;
  /** Where connection trouble is reported (default: nowhere; ioredis reconnects by itself). */
  onError?: (error: Error) => void;
}

/** Reads a published message back; anything malformed is dropped (a subscriber then reads the stored log). */
function parseMessage(raw: string): LogBusMessage | undefined {
  try {
    const value = JSON.parse(raw) as LogBusMessage;
    if (typeof value !== 'object' || value === null || !Number.isSafeInteger(value.attempt)) return undefined;
    if (value.lines !== undefined && !(Array.isArray(value.lines) && value.lines.every((line) => typeof line === 'string'))) return undefined;
    return value;
  } catch {
    return undefined;
  }
}

/**
 * The log bus on Redis pub/sub: one channel per job (`<prefix><jobId>`), a publishing connection and a
 * subscribing one (a subscribed Redis connection can do nothing else). ioredis reconnects on its own and
 * re-subscribes every channel after a reconnect; messages published while a connection was down are lost,
 * which a stream covers by reading the stored log at its offset.
 * @example const bus = createRedisLogBus({ url: 'redis://127.0.0.1:6379' });
 */
export function createRedisLogBus(options: RedisLogBusOptions): LogBus {
  const prefix = options.prefix ?? 'yoloops:logs:';
  // lazyConnect: nothing connects before the first command (a server that never streams a log never opens the subscriber).
  const redisOptions: RedisOptions = { lazyConnect: true, maxRetriesPerRequest: 2 };
  const { Redis } = loadIoredis();
  const pub = new Redis(options.url, redisOptions);
  const sub = new Redis(options.url, { ...redisOptions, maxRetriesPerRequest: null });
  const report = (error: Error) => options.onError?.(error);
  pub.on('error', report);
  sub.on('error', report);
  const listeners = new Map<string, Set<LogBusListener>>();
  sub.on('message', (channel: string, raw: string) => {
    const set = listeners.get(channel.slice(prefix.length));
    const message = set && set.size > 0 ? parseMessage(raw) : undefined;
    if (message === undefined) return;
    for (const listener of [...set!]) {
      try {
        listener(message);
      } catch {
        // A failing listener (a closed stream) does not keep the others from hearing the message.
      }
    }
  });
  return {
    async publish(jobId, message) {
      await pub.publish(`${prefix}${jobId}`, JSON.stringify(message));
    },
    async subscribe(jobId, listener) {
      const set = listeners.get(jobId) ?? new Set<LogBusListener>();
      const first = set.size === 0;
      set.add(listener);
      listeners.set(jobId, set);
      if (first) {
        await sub.subscribe(`${prefix}${jobId}`);
      }
      return () => {
        set.delete(listener);
        if (set.size > 0 || listeners.get(jobId) !== set) return;
        listeners.delete(jobId);
        void sub.unsubscribe(`${prefix}${jobId}`).catch(report);
      };
    },
    async close() {
      listeners.clear();
      pub.disconnect();
      sub.disconnect();
    },
  };
}
