import { allRoutes } from '@yoloops/server-express';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startAuthServer, type AuthServer } from '../support/auth.js';

/** E1: the only routes that answer without a token in `required` mode (`/docs` and `/openapi.json` are outside the table). */
const PUBLIC = ['GET /', 'GET /health', 'GET /api/v1/health', 'POST /api/v1/auth/token', 'POST /api/v1/login'];
/** Routes whose credential is a secret in their own path (a job's notify URL), tested in agent-scope.test.ts. */
const OWN_SECRET = /^\/notify\/\{job_id\}\/\{secret\}\//;

const CASES = allRoutes
  .filter((r) => r.auth !== 'public' && r.auth !== 'notify-secret')
  .map((r) => ({ method: r.method.toUpperCase() as 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', template: r.path, dialect: r.dialect ?? 's001', auth: r.auth ?? 'user' }));

/** What each dialect's 401 for a request without a token looks like. */
const WANT: Record<string, { status: number; body: Record<string, unknown> }> = {
  s001: { status: 401, body: { detail: expect.stringMatching(/^Not authenticated: send Authorization: Bearer/), code: 'not_authenticated' } },
  s002: { status: 401, body: { detail: 'Not authenticated', code: 'not_authenticated' } },
  s003: { status: 401, body: { error: 'Token is missing', code: 'UNAUTHORIZED' } },
  's002+s003': { status: 401, body: { detail: 'Not authenticated', error: 'Token is missing', code: 'UNAUTHORIZED' } },
  s000: { status: 401, body: { code: 401, message: 'Token is missing', data: null } },
  s004: { status: 200, body: { success: false, code: 401, data: null, reason: 'not_authenticated' } },
};

let s: AuthServer;
beforeAll(async () => {
  s = await startAuthServer();
});
afterAll(async () => s.close());

describe('auth required: every route of the route table', () => {
  test('the public routes are exactly the allowlist; the notify-secret routes are the two notify URLs', () => {
    expect(allRoutes.filter((r) => r.auth === 'public').map((r) => `${r.method.toUpperCase()} ${r.path}`).sort()).toEqual([...PUBLIC].sort());
    const secret = allRoutes.filter((r) => r.auth === 'notify-secret');
    expect(secret.map((r) => r.path).sort()).toEqual(['/notify/{job_id}/{secret}/api/model/train/notify/result', '/notify/{job_id}/{secret}/api/model/train/notify/status']);
    expect(secret.every((r) => OWN_SECRET.test(r.path))).toBe(true);
    expect(CASES.length).toBeGreaterThan(50);
  });

  test.each(CASES)('$method $template without a token → 401 in its dialect ($dialect)', async ({ method, template, dialect }) => {
    const path = template.replace(/\{([A-Za-z0-9_]+)\}/g, (_, name: string) => (name === 'user_id' || name.endsWith('project_id') ? '1' : 'x1'));
    const init = method === 'GET' || method === 'DELETE' ? {} : { json: {} };
    const res = await s.call(method, path, init);
    const want = WANT[dialect]!;
    expect({ status: res.status, body: res.json }, `${method} ${path}: ${res.text.slice(0, 300)}`).toEqual({ status: want.status, body: expect.objectContaining(want.body) });
    if (dialect === 's002' || dialect === 's002+s003') expect(res.headers['www-authenticate']).toBe('Bearer');
  });

  test('/static images and the docs: a dataset image needs a token, /docs and /openapi.json do not', async () => {
    const image = await s.call('GET', '/static/datasets/ds_x/v1/images/train/a.jpg');
    expect(image.status).toBe(401);
    expect(image.json).toMatchObject({ code: 'not_authenticated' });
    expect((await s.call('GET', '/openapi.json')).status).toBe(200);
    expect((await s.call('GET', '/docs')).status).toBe(200);
    expect((await s.call('GET', '/health')).status).toBe(200);
  });
});
