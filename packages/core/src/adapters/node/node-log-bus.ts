import { createMemoryLogBus } from '../memory/memory-log-bus.js';
import type { LogBus } from '../../jobs/log-bus.port.js';
import type { PostgresQueryable } from '../postgres/postgres-database.js';
import { createPostgresLogBus } from '../postgres/postgres-log-bus.js';
import { createRedisLogBus } from '../redis/redis-log-bus.js';

/** What decides the log bus of a node platform. */
export interface NodeLogBusOptions {
  /** Redis pub/sub when set (`YOLOOPS_REDIS_URL`). */
  redisUrl?: string;
  /** PostgreSQL LISTEN/NOTIFY when set and no Redis (`YOLOOPS_DATABASE_URL`); NOTIFY goes through `postgres` when given. */
  databaseUrl?: string;
  postgres?: PostgresQueryable;
  onError?: (error: Error) => void;
}

/**
 * The log bus servers sharing a deployment use: Redis pub/sub when a Redis URL is set, else PostgreSQL
 * LISTEN/NOTIFY when a database URL is, else in-process (one server).
 * @example const bus = openNodeLogBus({ redisUrl: process.env.YOLOOPS_REDIS_URL, databaseUrl: process.env.YOLOOPS_DATABASE_URL });
 */
export function openNodeLogBus(options: NodeLogBusOptions): LogBus {
  const onError = options.onError ? { onError: options.onError } : {};
  if (options.redisUrl) return createRedisLogBus({ url: options.redisUrl, ...onError });
  if (options.databaseUrl) return createPostgresLogBus({ url: options.databaseUrl, ...(options.postgres ? { db: options.postgres } : {}), ...onError });
  return createMemoryLogBus();
}
