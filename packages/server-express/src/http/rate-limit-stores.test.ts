import express from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freePort } from '../../../core/test/support/redis-server.js';
import type { AppServices } from '../services.js';
import { createErrorHandler, HttpError } from './errors.js';
import { createFailedAuthLimit, createRateLimitMiddleware } from './rate-limit.js';
import { createRedisRateLimitStores, type RedisRateLimitStores } from './rate-limit-stores.js';
import { registerRoutes } from './register-routes.js';
import { defineRoute } from './route.js';

// A Redis that never answers (nothing listens on its port): the limiters count in this process instead,
// so requests are answered, limited as on one server, and never turned into 500s. (Real Redis: rate-limits.redis.test.ts.)
describe('Redis rate-limit stores with Redis unreachable', () => {
  let server: Server;
  let base = '';
  let stores: RedisRateLimitStores;
  const warnings: unknown[] = [];
  beforeAll(async () => {
    stores = createRedisRateLimitStores({ url: `redis://127.0.0.1:${await freePort()}`, onError: (error) => warnings.push(error) });
    const app = express();
    app.use(createFailedAuthLimit({ limit: 2, windowMs: 60_000 }, stores));
    const routes = [
      defineRoute({ method: 'get', path: '/x', operationId: 'x', summary: 'x', tags: [], responses: {}, handler: async () => ({}) }),
      // Refuses every credential, as auth does a guessed token (its own class, so the /x budget stays apart).
      defineRoute({
        method: 'get', path: '/guarded', operationId: 'guarded', summary: 'g', tags: [], responses: {}, rateLimit: 'infer',
        handler: async () => {
          throw new HttpError(401, 'bad token', 'unauthorized');
        },
      }),
    ];
    registerRoutes(app, routes, {} as AppServices, [createRateLimitMiddleware({ api: { limit: 3, windowMs: 60_000 }, infer: { limit: 100, windowMs: 60_000 } }, stores)]);
    app.use(createErrorHandler(() => {}, () => 's001'));
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await stores.close();
  });

  test('the connection never comes up, and says why', async () => {
    expect(await stores.ready(300)).toBe(false);
    expect(String(warnings[0])).toMatch(/ECONNREFUSED/);
  });

  test('route limits: answered with the X-RateLimit headers, the 4th a 429 with Retry-After (counted here)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${base}/x`);
      statuses.push(res.status);
      expect(res.headers.get('x-ratelimit-limit')).toBe('3');
      expect(res.headers.get('x-ratelimit-remaining')).toBe(String(Math.max(0, 2 - i)));
      if (i === 3) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  test('failing credentials: counted here too, the 3rd credential is refused unread', async () => {
    const guess = () => fetch(`${base}/guarded`, { headers: { authorization: 'Bearer guess' } });
    const [first, second, third] = [await guess(), await guess(), await guess()];
    expect([first.status, second.status, third.status]).toEqual([401, 401, 429]);
    expect(await third.json()).toMatchObject({ code: 'rate_limited', detail: expect.stringMatching(/^too many requests with failing credentials from this address \(2 per minute\)/) });
  });
});
