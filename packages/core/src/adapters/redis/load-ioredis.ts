import { createRequire } from 'node:module';
import type * as IORedis from 'ioredis';

const require = createRequire(import.meta.url);

/**
 * ioredis, loaded on first use (it is a CommonJS package: this is the module an `import` would give): a server
 * without `YOLOOPS_REDIS_URL` never pays for the Redis client's memory and start-up. Synchronous, so the factories
 * that open connections stay synchronous.
 */
export function loadIoredis(): typeof IORedis {
  return require('ioredis') as typeof IORedis;
}
