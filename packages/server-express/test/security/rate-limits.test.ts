import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fixturePath } from '../../../../test/support/fixtures.js';
import { jsonInit, rawRequest, type RawResponse } from '../support/http.js';
import { registerTrainedModel, startPlatformServer, type PlatformServer } from '../support/model-fixtures.js';
import { startTrainingServer, type TrainingServer } from '../support/training.js';

// Issue 10 Deliver 4 (seed 003's promised limits): per class and client, X-RateLimit-* on every limited
// answer, a 429 with Retry-After in the route's dialect past the limit; never on health, static, notify.

const header = (res: RawResponse, name: string) => res.headers[name.toLowerCase()] as string | undefined;
const nowS = () => Math.floor(Date.now() / 1000);
const from = (ip: string) => ({ headers: { 'x-forwarded-for': ip } });

describe('POST /train/jobs on the real defaults (10 per hour)', () => {
  let t: TrainingServer;
  beforeAll(async () => {
    t = await startTrainingServer({ epochMs: 60_000, rateLimits: {} });
  }, 60_000);
  afterAll(async () => t?.close());

  test('allows 10 submissions within the hour; the 11th is a 429 with the three headers and Retry-After, and queues nothing', async () => {
    const ids: string[] = [];
    for (let i = 1; i <= 10; i++) {
      const res = await rawRequest(t.url, 'POST', '/train/jobs', jsonInit({ dataset_id: t.datasetId, epochs: 1 }));
      expect(res.status, res.text).toBe(200);
      expect(header(res, 'X-RateLimit-Limit')).toBe('10');
      expect(header(res, 'X-RateLimit-Remaining')).toBe(String(10 - i));
      expect(Number(header(res, 'X-RateLimit-Reset'))).toBeGreaterThan(nowS() + 3500);
      expect(Number(header(res, 'X-RateLimit-Reset'))).toBeLessThanOrEqual(nowS() + 3601);
      expect(header(res, 'Retry-After')).toBeUndefined();
      ids.push((res.json as { job_id: string }).job_id);
    }
    const refused = await rawRequest(t.url, 'POST', '/train/jobs', jsonInit({ dataset_id: t.datasetId, epochs: 1 }));
    expect(refused.status).toBe(429);
    expect(refused.json).toEqual({ detail: expect.stringMatching(/^rate limit of 10 per hour reached; retry in \d+ s$/), code: 'rate_limited' });
    expect(header(refused, 'X-RateLimit-Limit')).toBe('10');
    expect(header(refused, 'X-RateLimit-Remaining')).toBe('0');
    expect(Number(header(refused, 'X-RateLimit-Reset'))).toBeGreaterThan(nowS() + 3500);
    const retryAfter = Number(header(refused, 'Retry-After'));
    expect(retryAfter).toBeGreaterThan(3500);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    expect(refused.json).toMatchObject({ detail: expect.stringContaining(`retry in ${retryAfter} s`) });
    // Exactly seed 003's headers: none of the IETF draft ones (RateLimit, RateLimit-Policy…).
    expect(Object.keys(refused.headers).filter((h) => /ratelimit/i.test(h)).sort()).toEqual(['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']);
    const jobs = (await rawRequest(t.url, 'GET', '/train/jobs')).json as { jobs: Array<{ job_id: string }> };
    expect(jobs.jobs.map((j) => j.job_id).sort()).toEqual([...ids].sort());
  });

  test('resume, extend and seed 002\'s /api/v1/training/submit draw on the same training budget; reading jobs does not', async () => {
    const [job] = ((await rawRequest(t.url, 'GET', '/train/jobs')).json as { jobs: Array<{ job_id: string }> }).jobs;
    const extend = await rawRequest(t.url, 'POST', `/train/jobs/${job!.job_id}/extend`, jsonInit({ epochs: 1 }));
    expect(extend.status).toBe(429);
    expect(header(extend, 'X-RateLimit-Limit')).toBe('10');
    const resume = await rawRequest(t.url, 'POST', `/train/jobs/${job!.job_id}/resume`);
    expect(resume.status).toBe(429);
    const seed002 = await rawRequest(t.url, 'POST', '/api/v1/training/submit', jsonInit({ model_id: 'yolov8n', dataset_id: t.datasetId }));
    expect(seed002.status).toBe(429);
    expect(seed002.json).toEqual({ detail: expect.stringMatching(/^rate limit of 10 per hour reached; retry in \d+ s$/), code: 'rate_limited' });
    expect(header(seed002, 'Retry-After')).toBeDefined();
    const read = await rawRequest(t.url, 'GET', `/train/jobs/${job!.job_id}`);
    expect(read.status).toBe(200);
    expect(header(read, 'X-RateLimit-Limit')).toBe('120');
  });
});

describe('POST /infer/{model_id} on the real defaults (60 per minute)', () => {
  let s: PlatformServer;
  let modelId: string;
  const bus = () => {
    const form = new FormData();
    form.append('file', new Blob([readFileSync(fixturePath('images/bus.jpg'))], { type: 'image/jpeg' }), 'bus.jpg');
    return form;
  };
  beforeAll(async () => {
    s = await startPlatformServer({ app: { rateLimits: {} } });
    modelId = (await registerTrainedModel(s.platform, 'job_rate', 1)).model_id;
  }, 60_000);
  afterAll(async () => s?.close());

  test('counts every inference request, answered or not; the 61st within the minute is a 429 and runs nothing', async () => {
    const first = await fetch(`${s.url}/infer/${modelId}`, { method: 'POST', body: bus() });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit')).toBe('60');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('59');
    for (let i = 2; i <= 60; i++) {
      const res = await rawRequest(s.url, 'POST', '/infer/mdl_unknown', jsonInit({})); // not multipart: a 400
      expect(res.status).toBe(400);
      expect(header(res, 'X-RateLimit-Remaining')).toBe(String(60 - i));
    }
    const refused = await fetch(`${s.url}/infer/${modelId}`, { method: 'POST', body: bus() });
    expect(refused.status).toBe(429);
    expect(await refused.json()).toEqual({ detail: expect.stringMatching(/^rate limit of 60 per minute reached; retry in \d+ s$/), code: 'rate_limited' });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    // The other classes are separate budgets.
    expect((await rawRequest(s.url, 'GET', '/models')).status).toBe(200);
  });
});

describe('keys, windows and exemptions (small injected limits, auth off)', () => {
  let s: PlatformServer;
  beforeAll(async () => {
    s = await startPlatformServer({ app: { trustProxy: 1, rateLimits: { api: { limit: 2, windowMs: 60_000 }, infer: false } } });
  }, 30_000);
  afterAll(async () => s?.close());

  test('anonymous clients count per IP: one exhausted address does not block another', async () => {
    expect((await rawRequest(s.url, 'GET', '/datasets', from('203.0.113.7'))).status).toBe(200);
    expect((await rawRequest(s.url, 'GET', '/models', from('203.0.113.7'))).status).toBe(200);
    const refused = await rawRequest(s.url, 'GET', '/datasets', from('203.0.113.7'));
    expect(refused.status).toBe(429);
    expect(refused.json).toMatchObject({ code: 'rate_limited', detail: expect.stringMatching(/^rate limit of 2 per minute reached/) });
    const other = await rawRequest(s.url, 'GET', '/datasets', from('203.0.113.8'));
    expect(other.status).toBe(200);
    expect(header(other, 'X-RateLimit-Remaining')).toBe('1');
  });

  test('IPv6 clients count per /64: two addresses of one network share a budget, the next network has its own', async () => {
    expect((await rawRequest(s.url, 'GET', '/datasets', from('2001:db8:1:2::1'))).status).toBe(200);
    expect((await rawRequest(s.url, 'GET', '/datasets', from('2001:db8:1:2:ffff::9'))).status).toBe(200);
    expect((await rawRequest(s.url, 'GET', '/datasets', from('2001:db8:1:2::3'))).status).toBe(429);
    expect((await rawRequest(s.url, 'GET', '/datasets', from('2001:db8:1:3::1'))).status).toBe(200);
  });

  test('a class turned off has no limit and no headers while the others stay limited', async () => {
    for (let i = 0; i < 4; i++) {
      const res = await rawRequest(s.url, 'POST', '/infer/mdl_unknown', { ...jsonInit({}), headers: { ...jsonInit({}).headers, 'x-forwarded-for': '198.51.100.1' } });
      expect(res.status).toBe(400);
      expect(header(res, 'X-RateLimit-Limit')).toBeUndefined();
    }
  });

  test('never limits /health, /, /static, /docs, /openapi.json or the notify routes', async () => {
    const ip = from('198.51.100.2');
    for (let i = 0; i < 4; i++) {
      for (const p of ['/health', '/', '/static/ds_none/images/x.jpg', '/openapi.json', '/docs/']) {
        const res = await rawRequest(s.url, 'GET', p, ip);
        expect(res.status, `${p}: ${res.text.slice(0, 200)}`).not.toBe(429);
        expect(header(res, 'X-RateLimit-Limit'), p).toBeUndefined();
      }
      const notify = await rawRequest(s.url, 'POST', '/api/model/train/notify/status', {
        body: JSON.stringify({ trainTaskId: 'job_none', statusType: 2 }), headers: { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.2' },
      });
      expect(notify.status).toBe(200);
      expect(notify.json).not.toMatchObject({ code: 429 });
      expect(header(notify, 'X-RateLimit-Limit')).toBeUndefined();
    }
    // The same address is still limited on the API: the exempt requests above never counted.
    expect(header(await rawRequest(s.url, 'GET', '/datasets', ip), 'X-RateLimit-Remaining')).toBe('1');
  });

  test('seed 000 routes answer the 429 in their own envelope', async () => {
    const ip = from('198.51.100.3');
    await rawRequest(s.url, 'GET', '/api/models/1/training-metrics', ip);
    await rawRequest(s.url, 'GET', '/api/models/1/training-metrics', ip);
    const refused = await rawRequest(s.url, 'GET', '/api/models/1/training-metrics', ip);
    expect(refused.status).toBe(429);
    expect(refused.json).toMatchObject({ code: 429, message: expect.stringMatching(/^rate limit of 2 per minute reached; retry in \d+ s$/), data: null });
    expect(Number(header(refused, 'Retry-After'))).toBeGreaterThan(0);
  });

  test('the window ends: a short limit allows again once its reset time has passed', async () => {
    const short = await startPlatformServer({ app: { rateLimits: { api: { limit: 1, windowMs: 1000 } } } });
    try {
      expect((await rawRequest(short.url, 'GET', '/datasets')).status).toBe(200);
      const refused = await rawRequest(short.url, 'GET', '/datasets');
      expect(refused.status).toBe(429);
      expect(refused.json).toMatchObject({ detail: 'rate limit of 1 per second reached; retry in 1 s' });
      expect(header(refused, 'Retry-After')).toBe('1');
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect((await rawRequest(short.url, 'GET', '/datasets')).status).toBe(200);
    } finally {
      await short.close();
    }
  });
});

describe('rateLimits: false', () => {
  test('turns every limit off: no headers, no 429', async () => {
    const s = await startPlatformServer({ app: { rateLimits: false } });
    try {
      for (let i = 0; i < 130; i++) {
        const res = await rawRequest(s.url, 'GET', '/datasets');
        expect(res.status).toBe(200);
        expect(header(res, 'X-RateLimit-Limit')).toBeUndefined();
      }
    } finally {
      await s.close();
    }
  });
});
