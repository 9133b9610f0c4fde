import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ADMIN_PASSWORD, startAuthServer, type AuthServer } from './support/auth.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let s: AuthServer;
beforeAll(async () => {
  s = await startAuthServer();
});
afterAll(async () => s.close());

describe('seed 003 error envelope on the real app', () => {
  test('POST /api/v1/login: the 415 carries the request id in X-Request-ID and in the body', async () => {
    const res = await s.call('POST', '/api/v1/login', { body: '{"username":"admin"}', headers: { 'content-type': 'text/plain' } });
    expect(res.status).toBe(415);
    expect(res.json).toEqual({
      error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Content-Type must be application/json', reason: 'unsupported_media_type' },
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      request_id: expect.stringMatching(UUID),
    });
    expect(res.headers['x-request-id']).toBe((res.json as { request_id: string }).request_id);
  });

  test('a sane incoming X-Request-ID is kept in the header and the body; a hostile one is replaced', async () => {
    const kept = await s.call('POST', '/api/v1/login', { json: { username: 'admin' }, headers: { 'x-request-id': 'req-12345678' } });
    expect(kept.status).toBe(400);
    expect(kept.json).toMatchObject({ error: { code: 'INVALID_REQUEST', message: 'Username and password are required' }, request_id: 'req-12345678' });
    expect(kept.headers['x-request-id']).toBe('req-12345678');
    const replaced = await s.call('POST', '/api/v1/login', { json: {}, headers: { 'x-request-id': 'a b <script>' } });
    expect(replaced.headers['x-request-id']).toMatch(UUID);
    expect((replaced.json as { request_id: string }).request_id).toBe(replaced.headers['x-request-id']);
  });

  test('every answer carries X-Request-ID, also outside seed 003 (an S001 route, a 404)', async () => {
    for (const path of ['/health', '/no/such/route']) expect((await s.call('GET', path)).headers['x-request-id']).toMatch(UUID);
  });
});

describe('paths seeds 002 and 003 share (GET /api/v1/datasets, /api/v1/models, /api/v1/models/{id})', () => {
  test.each(['/api/v1/datasets', '/api/v1/models', '/api/v1/models/1'])('GET %s without a token: FastAPI\'s detail and the decorator\'s flat error in one 401', async (path) => {
    const res = await s.call('GET', path);
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({ detail: 'Not authenticated', error: 'Token is missing', code: 'UNAUTHORIZED', request_id: res.headers['x-request-id'] });
    expect(res.headers['www-authenticate']).toBe('Bearer');
    const bad = await s.call('GET', path, { token: 'not-a-token' });
    expect(bad.json).toMatchObject({ detail: 'Could not validate credentials', error: 'Token is invalid', code: 'UNAUTHORIZED' });
  });

  test('a missing model is a 404 with both bodies: {detail, code} and {error, timestamp, request_id}', async () => {
    const res = await s.call('GET', '/api/v1/models/999', { token: s.adminToken });
    expect(res.status).toBe(404);
    expect(res.json).toEqual({
      detail: 'Model not found',
      code: 'not_found',
      error: { code: 'NOT_FOUND', message: 'Model not found', reason: 'not_found' },
      timestamp: expect.any(String),
      request_id: res.headers['x-request-id'],
    });
  });

  test('seed 002\'s query validation stays a 422 (its detail list), with seed 003\'s error beside it', async () => {
    const res = await s.call('GET', '/api/v1/datasets?limit=0', { token: s.adminToken });
    expect(res.status).toBe(422);
    expect(res.json).toMatchObject({ detail: [{ loc: ['query', 'limit'] }], error: { code: 'INVALID_REQUEST', details: [{ loc: ['query', 'limit'] }] }, request_id: expect.any(String) });
  });

  test('successes are unchanged, and the seed 003 token decorator\'s raw token (no "Bearer ") is accepted', async () => {
    const login = await s.call('POST', '/api/v1/login', { json: { username: 'admin', password: ADMIN_PASSWORD } });
    const token = (login.json as { token: string }).token;
    const res = await s.call('GET', '/api/v1/models', { headers: { authorization: token } });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ total: expect.any(Number), models: expect.any(Array) });
    const datasets = await s.call('GET', '/api/v1/datasets', { token });
    expect(datasets.json).toMatchObject({ total: expect.any(Number), datasets: expect.any(Array) });
  });
});
