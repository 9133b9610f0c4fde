import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createNodePlatform, type NodePlatform } from '@yoloops/core/node';
import { createApp, createRedisRateLimitStores, startServer, type CreateAppOptions, type RunningServer } from '@yoloops/server-express';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { skipWithoutRedisServer, startTestRedis, type TestRedis } from '../../../core/test/support/redis-server.js';
import { jsonInit, rawRequest, type RawInit, type RawResponse } from '../support/http.js';
import { startTrainingServer, type TrainingServer } from '../support/training.js';

// Issue 12: several servers behind a balancer share each client's rate-limit counts through Redis; Redis
// away → every request is still answered (counted on its server alone), never a 500, never a hang.

const CHEAP_KDF = { N: 2 ** 10, r: 8, p: 1 };
const header = (res: RawResponse, name: string) => res.headers[name.toLowerCase()] as string | undefined;
const nowS = () => Math.floor(Date.now() / 1000);
const randomIp = () => `198.18.${randomBytes(1)[0]}.${randomBytes(1)[0]! % 250 + 1}`;
const fakeJwt = () => ['eyJhbGciOiJIUzI1NiJ9', randomBytes(24).toString('base64url'), randomBytes(32).toString('base64url')].join('.');
const bearer = (token: string, ip: string): RawInit => ({ headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': ip } });
const form = (username: string, password: string, ip: string): RawInit => ({
  body: new URLSearchParams({ username, password }).toString(),
  headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': ip },
});

/** One app (one "server") over `services`, counting in its own Redis connection. */
async function replica(redis: TestRedis, options: Omit<CreateAppOptions, 'rateLimitStores'>, warnings: unknown[]) {
  const stores = createRedisRateLimitStores({ url: redis.url, onError: (error) => warnings.push(error) });
  expect(await stores.ready()).toBe(true);
  const http = await new Promise<Server>((resolve) => {
    const s = createApp({ log: () => {}, ...options, rateLimitStores: stores }).listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    stores,
    async close() {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await stores.close();
    },
  };
}
type Replica = Awaited<ReturnType<typeof replica>>;

describe.skipIf(skipWithoutRedisServer())('rate limits shared through Redis', () => {
  let redis: TestRedis;
  const warnings: unknown[] = [];
  beforeAll(async () => {
    redis = await startTestRedis();
  });
  afterAll(async () => redis?.close());

  describe('training submissions (10 per hour) over two servers', () => {
    let t: TrainingServer;
    let a: Replica;
    let b: Replica;
    beforeAll(async () => {
      t = await startTrainingServer({ epochMs: 60_000 });
      [a, b] = [await replica(redis, { services: t.platform, rateLimits: {} }, warnings), await replica(redis, { services: t.platform, rateLimits: {} }, warnings)];
    }, 60_000);
    afterAll(async () => {
      await Promise.all([a?.close(), b?.close()]);
      await t?.close();
    });

    test('submissions alternate between the servers and count once: the 11th on either is a 429 with Retry-After and the three headers', async () => {
      for (let i = 1; i <= 10; i++) {
        const res = await rawRequest((i % 2 ? a : b).url, 'POST', '/train/jobs', jsonInit({ dataset_id: t.datasetId, epochs: 1 }));
        expect(res.status, res.text).toBe(200);
        expect(header(res, 'X-RateLimit-Limit')).toBe('10');
        expect(header(res, 'X-RateLimit-Remaining')).toBe(String(10 - i));
        expect(Number(header(res, 'X-RateLimit-Reset'))).toBeGreaterThan(nowS() + 3500);
      }
      for (const server of [a, b]) {
        const refused = await rawRequest(server.url, 'POST', '/train/jobs', jsonInit({ dataset_id: t.datasetId, epochs: 1 }));
        expect(refused.status).toBe(429);
        expect(refused.json).toEqual({ detail: expect.stringMatching(/^rate limit of 10 per hour reached; retry in \d+ s$/), code: 'rate_limited' });
        expect(header(refused, 'X-RateLimit-Limit')).toBe('10');
        expect(header(refused, 'X-RateLimit-Remaining')).toBe('0');
        expect(Number(header(refused, 'X-RateLimit-Reset'))).toBeGreaterThan(nowS() + 3500);
        const retryAfter = Number(header(refused, 'Retry-After'));
        expect(retryAfter).toBeGreaterThan(3500);
        expect(retryAfter).toBeLessThanOrEqual(3600);
      }
      expect(((await rawRequest(t.url, 'GET', '/train/jobs')).json as { jobs: unknown[] }).jobs).toHaveLength(10);
      // Each limiter keeps its own keys: the training budget under `train:`, reads under `api:`.
      const probe = new Redis(redis.url);
      try {
        expect(await probe.keys('yoloops:rl:train:*')).toEqual([expect.stringMatching(/^yoloops:rl:train:ip:/)]);
        expect(await probe.keys('yoloops:rl:api:*')).toEqual([]);
      } finally {
        probe.disconnect();
      }
      expect(warnings).toEqual([]);
    });
  });

  describe('credentials over two servers (auth required, behind a trusted proxy)', () => {
    let platform: NodePlatform;
    let dataDir: string;
    let a: Replica;
    let b: Replica;
    beforeAll(async () => {
      dataDir = mkdtempSync(path.join(tmpdir(), 'yoloops-rl-redis-'));
      platform = await createNodePlatform({ dataDir, accounts: { passwordCost: CHEAP_KDF } });
      await platform.accounts.createUser({ username: 'bob', password: 'bob-password-1' });
      const options = { services: platform, auth: { mode: 'required' as const }, trustProxy: 1, rateLimits: {} };
      [a, b] = [await replica(redis, options, warnings), await replica(redis, options, warnings)];
    }, 30_000);
    afterAll(async () => {
      await Promise.all([a?.close(), b?.close()]);
      await platform?.close();
      rmSync(dataDir, { recursive: true, force: true });
    });

    test('failed logins at one account count across both servers: after 5 + 5 the right password is a 429 on either', async () => {
      for (let i = 0; i < 10; i++) expect((await rawRequest((i % 2 ? a : b).url, 'POST', '/api/v1/auth/token', form('bob', `guess-${i}`, randomIp()))).status).toBe(401);
      for (const server of [a, b]) {
        const refused = await rawRequest(server.url, 'POST', '/api/v1/auth/token', form('bob', 'bob-password-1', randomIp()));
        expect(refused.status).toBe(429);
        expect(refused.json).toMatchObject({ detail: expect.stringMatching(/^rate limit of 10 per minute reached; retry in \d+ s$/), code: 'rate_limited' });
        expect(Number(header(refused, 'Retry-After'))).toBeGreaterThan(0);
      }
    });

    test('guessed tokens from one address count across both servers: 15 + 15 failures, then its credentials are refused unread on either', async () => {
      const guesser = '203.0.113.50';
      for (let i = 0; i < 30; i++) expect((await rawRequest((i % 2 ? a : b).url, 'GET', '/datasets', bearer(fakeJwt(), guesser))).status).toBe(401);
      for (const server of [a, b]) {
        const refused = await rawRequest(server.url, 'GET', '/datasets', bearer(fakeJwt(), guesser));
        expect(refused.status).toBe(429);
        expect(refused.json).toMatchObject({ code: 'rate_limited', detail: expect.stringMatching(/^too many requests with failing credentials from this address \(30 per minute\)/) });
        expect(Number(header(refused, 'Retry-After'))).toBeGreaterThan(0);
      }
      expect((await rawRequest(a.url, 'GET', '/datasets', bearer(fakeJwt(), '203.0.113.51'))).status).toBe(401);
    });

    test('Redis killed: every request is still answered (no 500, no hang), each server counting alone; guessing stays limited; Redis back → shared again', async () => {
      await redis.kill();
      try {
        const ip = randomIp();
        // Logins keep working and a brute force is still stopped, by each server's own count.
        for (let i = 0; i < 10; i++) expect((await rawRequest(a.url, 'POST', '/api/v1/auth/token', form('nobody', `guess-${i}`, ip))).status).toBe(401);
        expect((await rawRequest(a.url, 'POST', '/api/v1/auth/token', form('bob', 'bob-password-1', ip))).status).toBe(429);
        // The other server has not seen those failures (it could not): bob logs in there.
        const login = await rawRequest(b.url, 'POST', '/api/v1/auth/token', form('bob', 'bob-password-1', ip));
        expect(login.status, login.text).toBe(200);
        const token = (login.json as { access_token: string }).access_token;
        const read = await rawRequest(b.url, 'GET', '/datasets', bearer(token, ip));
        expect(read.status, read.text).toBe(200);
        expect(header(read, 'X-RateLimit-Limit')).toBe('120');
        expect(header(read, 'X-RateLimit-Remaining')).toBe('119');
        expect((await rawRequest(a.url, 'GET', '/datasets', bearer(fakeJwt(), ip))).status).toBe(401);
        expect(warnings.length).toBeGreaterThan(0);
      } finally {
        await redis.start();
      }
      expect(await a.stores.ready(10_000)).toBe(true);
      expect(await b.stores.ready(10_000)).toBe(true);
      // The new Redis is empty (no persistence): counts start again, and are shared again.
      const login = await rawRequest(a.url, 'POST', '/api/v1/auth/token', form('bob', 'bob-password-1', randomIp()));
      const token = (login.json as { access_token: string }).access_token;
      const first = await rawRequest(a.url, 'GET', '/datasets', bearer(token, randomIp()));
      const second = await rawRequest(b.url, 'GET', '/datasets', bearer(token, randomIp()));
      expect([first.status, second.status]).toEqual([200, 200]);
      expect(Number(header(second, 'X-RateLimit-Remaining'))).toBe(Number(header(first, 'X-RateLimit-Remaining')) - 1);
    }, 30_000);
    test('Redis hung (CLIENT PAUSE 5 s): a request waits at most the command timeout (500 ms), then is counted on its server', async () => {
      const probe = new Redis(redis.url);
      try {
        await probe.call('CLIENT', 'PAUSE', '5000', 'ALL');
        const started = Date.now();
        const res = await rawRequest(a.url, 'POST', '/api/v1/auth/token', form(`nobody-${randomBytes(4).toString('hex')}`, 'guess', randomIp()));
        expect(res.status, res.text).toBe(401);
        // Two limiters each waited 500 ms at most: far below the pause, so the answer did not wait for Redis to come back.
        expect(Date.now() - started).toBeLessThan(3000);
      } finally {
        await probe.call('CLIENT', 'UNPAUSE').catch(() => undefined);
        probe.disconnect();
      }
    }, 30_000);
  });

  describe('startServer with YOLOOPS_REDIS_URL dispatch', () => {
    const dirs: string[] = [];
    let servers: RunningServer[] = [];
    beforeAll(async () => {
      for (let i = 0; i < 2; i++) {
        const dataDir = mkdtempSync(path.join(tmpdir(), 'yoloops-rl-serve-'));
        dirs.push(dataDir);
        servers.push(await startServer({ dataDir, port: 0, host: '127.0.0.1', rateLimits: { api: { limit: 3, windowMs: 60_000 } }, jobs: { dispatch: { redisUrl: redis.url } } }));
      }
    }, 30_000);
    afterAll(async () => {
      await Promise.all(servers.map((s) => s.close()));
      servers = [];
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    });

    test('two servers on one Redis count one client together (3 per minute: the 4th is refused)', async () => {
      const [a, b] = servers as [RunningServer, RunningServer];
      const probe = new Redis(redis.url);
      try {
        const answers: number[] = [];
        for (const s of [a, b, a]) answers.push((await rawRequest(s.url, 'GET', '/datasets')).status);
        expect(answers).toEqual([200, 200, 200]);
        expect(await probe.keys('yoloops:rl:api:ip:*')).toEqual(['yoloops:rl:api:ip:127.0.0.1']);
        const refused = await rawRequest(b.url, 'GET', '/datasets');
        expect(refused.status).toBe(429);
        expect(header(refused, 'X-RateLimit-Limit')).toBe('3');
      } finally {
        probe.disconnect();
      }
    });
  });
});
