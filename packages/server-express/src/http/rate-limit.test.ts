import express from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { allRoutes } from '../routes/index.js';
import type { AppServices } from '../services.js';
import type { Dialect } from './dialects.js';
import { createErrorHandler } from './errors.js';
import { createRateLimitMiddleware, DEFAULT_RATE_LIMITS, rateLimitClassOf, resolveRateLimits, windowInWords } from './rate-limit.js';
import { registerRoutes } from './register-routes.js';
import { defineRoute, type Route } from './route.js';

const route = (fields: Partial<Route>): Route => defineRoute({ method: 'get', path: '/x', operationId: 'x', summary: 'x', tags: [], responses: {}, handler: async () => ({}), ...fields });

describe('windowInWords', () => {
  test.each([
    { given: 3_600_000, want: 'hour' }, { given: 60_000, want: 'minute' }, { given: 1000, want: 'second' },
    { given: 7_200_000, want: '2 hours' }, { given: 900_000, want: '15 minutes' }, { given: 30_000, want: '30 seconds' }, { given: 1500, want: '1500 ms' },
  ])('$given ms → $want', ({ given, want }) => expect(windowInWords(given)).toBe(want));
});

describe('resolveRateLimits', () => {
  test('defaults are seed 003\'s (train 10/hour, infer 60/minute, api 120/minute) and 10 failed logins a minute', () => {
    expect(resolveRateLimits(undefined)).toEqual(DEFAULT_RATE_LIMITS);
    expect(DEFAULT_RATE_LIMITS).toEqual({
      train: { limit: 10, windowMs: 3_600_000 }, infer: { limit: 60, windowMs: 60_000 }, api: { limit: 120, windowMs: 60_000 }, login: { limit: 10, windowMs: 60_000 },
    });
  });
  test('false turns every class off; a class set to false or a limit replaces only that class', () => {
    expect(resolveRateLimits(false)).toEqual({ train: false, infer: false, api: false, login: false });
    expect(resolveRateLimits({ infer: false, train: { limit: 3, windowMs: 1000 } })).toEqual({ ...DEFAULT_RATE_LIMITS, infer: false, train: { limit: 3, windowMs: 1000 } });
  });
});

describe('rateLimitClassOf', () => {
  test.each([
    { given: {}, want: 'api' },
    { given: { rateLimit: 'train' as const }, want: 'train' },
    { given: { auth: 'public' as const }, want: 'none' },
    { given: { auth: 'public' as const, rateLimit: 'login' as const }, want: 'login' },
    { given: { auth: 'agent' as const }, want: 'none' },
    { given: { auth: 'notify-secret' as const }, want: 'none' },
    { given: { path: '/api/v1/health/detailed' }, want: 'none' },
    { given: { path: '/healthy-models' }, want: 'api' },
  ])('$given → $want', ({ given, want }) => expect(rateLimitClassOf(route(given))).toBe(want));

  test('in the route table, only user routes are limited; trainers\' reports, health and public routes never are', () => {
    for (const r of allRoutes) {
      const cls = rateLimitClassOf(r);
      if (r.auth === 'agent' || r.auth === 'notify-secret' || /health/.test(r.path) || (r.auth === 'public' && r.rateLimit !== 'login')) expect(cls, r.path).toBe('none');
    }
    const of = (cls: string) => allRoutes.filter((r) => rateLimitClassOf(r) === cls).map((r) => `${r.method.toUpperCase()} ${r.path}`);
    expect(of('train')).toEqual(expect.arrayContaining(['POST /train/jobs', 'POST /train/jobs/{job_id}/resume', 'POST /train/jobs/{job_id}/extend', 'POST /api/v1/training/submit']));
    expect(of('login').sort()).toEqual(['POST /api/v1/auth/token', 'POST /api/v1/login']);
    expect(of('infer')).toEqual(expect.arrayContaining(['POST /infer/{model_id}', 'POST /infer/batch/run', 'POST /infer/{model_id}/export', 'POST /infer/video/{model_id}', 'POST /infer/video/{model_id}/stream']));
    for (const r of allRoutes.filter((x) => x.path.startsWith('/api/model/train/notify') || x.path.startsWith('/notify/') || x.path.startsWith('/api/agent/'))) expect(rateLimitClassOf(r), r.path).toBe('none');
  });
});

describe('the 429 in each route family\'s dialect', () => {
  let server: Server;
  let base = '';
  const dialects: Dialect[] = ['s001', 's000', 's002', 's003', 's004'];
  beforeAll(async () => {
    const app = express();
    const routes = dialects.map((dialect) => route({ path: `/${dialect}`, operationId: dialect, dialect }));
    // One budget per route here (a class shares one budget across its routes), so each dialect's second call is refused.
    const perRoute = new Map(routes.map((r) => [r, createRateLimitMiddleware({ api: { limit: 1, windowMs: 60_000 } })]));
    registerRoutes(app, routes, {} as AppServices, [(r) => perRoute.get(r)!(r)]);
    app.use(createErrorHandler(() => {}, () => 's001'));
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test.each([
    { dialect: 's001', status: 429, body: { detail: expect.stringMatching(/^rate limit of 1 per minute reached; retry in \d+ s$/), code: 'rate_limited' } },
    { dialect: 's000', status: 429, body: { code: 429, message: expect.stringMatching(/^rate limit of 1 per minute/), data: null, reason: 'rate_limited' } },
    { dialect: 's002', status: 429, body: { detail: expect.stringMatching(/^rate limit of 1 per minute/), code: 'rate_limited' } },
    { dialect: 's003', status: 429, body: { error: { code: 'TOO_MANY_REQUESTS', message: expect.stringMatching(/^rate limit of 1 per minute/), reason: 'rate_limited' }, timestamp: expect.any(String), request_id: expect.any(String) } },
    { dialect: 's004', status: 200, body: { success: false, code: 429, msg: expect.stringMatching(/^rate limit of 1 per minute/), data: null, reason: 'rate_limited' } },
  ])('$dialect: HTTP $status with Retry-After and the three headers', async ({ dialect, status, body }) => {
    expect((await fetch(`${base}/${dialect}`)).status).toBe(200);
    const res = await fetch(`${base}/${dialect}`);
    expect(res.status).toBe(status);
    expect(await res.json()).toEqual(body);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(res.headers.get('x-ratelimit-limit')).toBe('1');
    expect(res.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(res.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
  });
});
