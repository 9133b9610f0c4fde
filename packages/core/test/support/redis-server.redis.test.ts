import { Redis } from 'ioredis';
import { describe, expect, test } from 'vitest';
import { skipWithoutRedisServer, startTestRedis } from './redis-server.js';

/** One command on a fresh connection that does not retry (a stopped server fails at once). */
async function command(url: string, ...args: [string, ...string[]]): Promise<unknown> {
  const client = new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false, lazyConnect: true });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await client.call(...args);
  } finally {
    client.disconnect();
  }
}

describe.skipIf(skipWithoutRedisServer())('startTestRedis: a real redis-server of the test', () => {
  test('without persistence a restart forgets the data; stop() leaves nothing listening', async () => {
    const redis = await startTestRedis();
    try {
      expect(await command(redis.url, 'SET', 'k', 'v')).toBe('OK');
      await redis.restart();
      expect(await command(redis.url, 'GET', 'k')).toBeNull();
      await redis.stop();
      await expect(command(redis.url, 'PING')).rejects.toThrow();
      await redis.start();
      expect(await command(redis.url, 'PING')).toBe('PONG');
    } finally {
      await redis.close();
    }
  });

  test('with persistence what was written survives a kill -9 and a start on the same port', async () => {
    const redis = await startTestRedis({ persist: true });
    try {
      expect(await command(redis.url, 'RPUSH', 'q', 'a', 'b')).toBe(2);
      await redis.kill();
      await redis.start();
      expect(await command(redis.url, 'LRANGE', 'q', '0', '-1')).toEqual(['a', 'b']);
    } finally {
      await redis.close();
    }
  });
});
