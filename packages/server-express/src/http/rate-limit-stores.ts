import { MemoryStore, type ClientRateLimitInfo, type IncrementResponse, type Options, type Store } from 'express-rate-limit';
import { createRequire } from 'node:module';
import type * as IORedis from 'ioredis';
import { RedisStore, type RedisReply } from 'rate-limit-redis';

/** Where the rate limiters of one app count: one store per limiter, released together. */
export interface RateLimitStores {
  /** A new store for one limiter; `name` (`train`, `login-ip`, …) keeps its counts apart from the other limiters'. */
  store(name: string): Store;
  /** Releases what the stores hold (the Redis connection). */
  close(): Promise<void>;
}

// ioredis (CommonJS) is required when Redis stores are made: a server without YOLOOPS_REDIS_URL never loads it.
const require = createRequire(import.meta.url);

/** Counts in this process's memory (one server; the default). */
export function createMemoryRateLimitStores(): RateLimitStores {
  return { store: () => new MemoryStore(), close: async () => {} };
}

/** Options of {@link createRedisRateLimitStores}. */
export interface RedisRateLimitOptions {
  /** `redis://[:password@]host:6379[/db]` (`YOLOOPS_REDIS_URL`). */
  url: string;
  /** Key prefix (default `yoloops:rl:`); servers of one deployment must share it. */
  prefix?: string;
  /** The longest a request waits for Redis before it is counted on this server (default 500 ms). */
  commandTimeoutMs?: number;
  /** Where Redis trouble is told (default console.warn, at most once every 30 s). */
  onError?: (error: unknown) => void;
}

/** Redis-backed stores, plus `ready()`: resolves whether the connection came up within `timeoutMs`. */
export interface RedisRateLimitStores extends RateLimitStores {
  ready(timeoutMs?: number): Promise<boolean>;
}

function throttledWarn(everyMs = 30_000): (error: unknown) => void {
  let last = 0;
  return (error) => {
    if (Date.now() - last < everyMs) return;
    last = Date.now();
    console.warn(`yoloops: Redis unreachable, rate limits count on this server alone until it is back: ${error instanceof Error ? error.message : String(error)}`);
  };
}

/**
 * One limiter's count in Redis (rate-limit-redis), shared by every server on it; while Redis cannot answer
 * (down, or slower than the command timeout) the request is counted in this server's memory instead, so a
 * Redis outage neither fails nor stalls requests, and guessing stays bounded (by the limit × the servers).
 */
class RedisOrLocalStore implements Store {
  readonly localKeys = false;
  readonly prefix: string;
  private readonly local = new MemoryStore();
  private options: Options | undefined;
  private scriptsLoaded: Promise<void> | undefined;

  /** `status`: the connection's state (ioredis: `ready` when commands can be sent). */
  constructor(private readonly redis: RedisStore, private readonly status: () => string, private readonly warn: (error: unknown) => void) {
    this.prefix = redis.prefix;
  }

  init(options: Options): void {
    this.options = options;
    this.local.init(options);
  }

  /** `op` on Redis; on any failure (or while disconnected) `fallback` on this server's memory. */
  private async shared<T>(op: (redis: RedisStore) => Promise<T>, fallback: (local: MemoryStore) => Promise<T>): Promise<T> {
    if (this.options === undefined) return fallback(this.local);
    const status = this.status();
    if (status !== 'ready') {
      // Told here too, not only by the connection's error events: those can come later than the requests.
      this.warn(new Error(`Redis connection is ${status}`));
      return fallback(this.local);
    }
    try {
      // Loads the Lua scripts once per store; a failed load is tried again on the next request.
      this.scriptsLoaded ??= this.redis.init(this.options).catch((error: unknown) => {
        this.scriptsLoaded = undefined;
        throw error;
      });
      await this.scriptsLoaded;
      return await op(this.redis);
    } catch (error) {
      this.warn(error);
      return fallback(this.local);
    }
  }

  get(key: string): Promise<ClientRateLimitInfo | undefined> {
    return this.shared((r) => r.get(key), (l) => l.get(key));
  }

  increment(key: string): Promise<IncrementResponse> {
    return this.shared((r) => r.increment(key), (l) => l.increment(key));
  }

  decrement(key: string): Promise<void> {
    return this.shared((r) => r.decrement(key), (l) => l.decrement(key));
  }

  resetKey(key: string): Promise<void> {
    return this.shared((r) => r.resetKey(key), (l) => l.resetKey(key));
  }

  shutdown(): void {
    this.local.shutdown();
  }
}

/**
 * Rate-limit stores on one Redis connection (ioredis), keys `<prefix><limiter>:<client>`: every server on the
 * same Redis shares each client's count. Commands never queue while Redis is away and wait at most
 * `commandTimeoutMs`; meanwhile each server counts alone (see `RedisOrLocalStore`).
 * @example const stores = createRedisRateLimitStores({ url: 'redis://127.0.0.1:6379' }); createApp({ services, rateLimitStores: stores });
 */
export function createRedisRateLimitStores(options: RedisRateLimitOptions): RedisRateLimitStores {
  const prefix = options.prefix ?? 'yoloops:rl:';
  const warn = options.onError ?? throttledWarn();
  const { Redis } = require('ioredis') as typeof IORedis;
  const client = new Redis(options.url, {
    enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: options.commandTimeoutMs ?? 500, connectTimeout: 2000,
  });
  client.on('error', warn); // ioredis reconnects by itself; without a listener it would print every attempt
  const sendCommand = (...args: string[]) => client.call(args[0] ?? '', ...args.slice(1)) as Promise<RedisReply>;
  const stores: RedisOrLocalStore[] = [];
  return {
    store(name) {
      const store = new RedisOrLocalStore(new RedisStore({ sendCommand, prefix: `${prefix}${name}:` }), () => client.status, warn);
      stores.push(store);
      return store;
    },
    async ready(timeoutMs = 5000) {
      if (client.status === 'ready') return true;
      return new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => (client.off('ready', onReady), resolve(false)), timeoutMs);
        const onReady = () => (clearTimeout(timer), resolve(true));
        client.once('ready', onReady);
      });
    },
    async close() {
      for (const store of stores) store.shutdown();
      await client.quit().catch(() => client.disconnect());
    },
  };
}
