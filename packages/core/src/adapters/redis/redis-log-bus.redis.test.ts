import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { LogBusMessage } from '../../jobs/log-bus.port.js';
import { describeLogBusContract, heardAtLeast } from '../../../test/support/contracts/log-bus.contract.js';
import { startTestRedis, type TestRedis } from '../../../test/support/redis-server.js';
import { openNodeLogBus } from '../node/node-log-bus.js';
import { createRedisLogBus } from './redis-log-bus.js';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => redis?.close());

describeLogBusContract('redis', async () => {
  // The node platform's choice: Redis wins over a database URL.
  const [a, b] = [createRedisLogBus({ url: redis.url }), openNodeLogBus({ redisUrl: redis.url, databaseUrl: 'postgres://unused@127.0.0.1:1/none' })];
  return { a, b, carriesLines: true, close: async () => void (await Promise.all([a.close(), b.close()])) };
});

describe('redis log bus: Redis restarted', () => {
  test('after a Redis restart the subscriber is subscribed again and hears new messages', async () => {
    const a = createRedisLogBus({ url: redis.url });
    const b = createRedisLogBus({ url: redis.url });
    try {
      const heard: LogBusMessage[] = [];
      await b.subscribe('job_r', (m) => heard.push(m));
      await a.publish('job_r', { attempt: 1, lines: ['before'], offset: 0, end: 7 });
      await heardAtLeast(heard, 1);
      await redis.stop();
      await redis.start();
      // ioredis reconnects with backoff and re-subscribes; publish until the other side hears again.
      const deadline = Date.now() + 20_000;
      while (heard.length < 2 && Date.now() < deadline) {
        await a.publish('job_r', { attempt: 1, lines: ['after'], offset: 7, end: 13 }).catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(heard[0]?.lines).toEqual(['before']);
      expect(heard[1]?.lines).toEqual(['after']);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
