import express from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Dialect } from '../http/dialects.js';
import { sendUnauthorized, type UnauthorizedReason } from './unauthorized.js';

let server: Server;
let base: string;
beforeAll(async () => {
  const app = express();
  app.get('/:dialect/:reason', (req, res) => sendUnauthorized(res, req.params.dialect as Dialect, req.params.reason as UnauthorizedReason));
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const get = async (dialect: Dialect, reason: UnauthorizedReason) => {
  const res = await fetch(`${base}/${dialect}/${reason}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, challenge: res.headers.get('www-authenticate'), requestId: res.headers.get('x-request-id') };
};

describe('sendUnauthorized', () => {
  test.each([
    ['s001', 'missing', 401, { detail: expect.stringMatching(/^Not authenticated: send Authorization: Bearer/), code: 'not_authenticated' }],
    ['s001', 'expired', 401, { detail: 'Not authenticated: the token has expired; log in again', code: 'token_expired' }],
    ['s002', 'missing', 401, { detail: 'Not authenticated', code: 'not_authenticated' }],
    ['s002', 'revoked', 401, { detail: 'Could not validate credentials', code: 'token_revoked' }],
    ['s003', 'missing', 401, { error: 'Token is missing', code: 'UNAUTHORIZED' }],
    ['s003', 'invalid', 401, { error: 'Token is invalid', code: 'UNAUTHORIZED' }],
    ['s003', 'expired', 401, { error: 'Token is invalid', code: 'UNAUTHORIZED' }],
    ['s002+s003', 'missing', 401, { detail: 'Not authenticated', error: 'Token is missing', code: 'UNAUTHORIZED' }],
    ['s002+s003', 'revoked', 401, { detail: 'Could not validate credentials', error: 'Token is invalid', code: 'UNAUTHORIZED' }],
    ['s000', 'missing', 401, { code: 401, message: 'Token is missing', data: null }],
    ['s000', 'invalid', 401, { code: 401, message: 'Invalid token', data: null }],
    ['s000', 'expired', 401, { code: 401, message: 'Token has expired', data: null }],
    ['s004', 'missing', 200, { success: false, code: 401, data: null, reason: 'not_authenticated' }],
  ] as const)('%s %s → HTTP %i in its envelope', async (dialect, reason, status, body) => {
    const res = await get(dialect, reason);
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject(body);
    expect(res.challenge).toBe(reason === 'missing' ? 'Bearer' : 'Bearer error="invalid_token"');
    if (dialect.includes('s003')) expect(res.body.request_id).toBe(res.requestId);
  });
});
