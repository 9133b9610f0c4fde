import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, type StartServerOptions } from '@yoloops/server-express';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { rawRequest } from '../support/http.js';
import { ADMIN_PASSWORD, form, startAuthServer, TEST_PASSWORD_COST } from '../support/auth.js';

const dirs: string[] = [];
const dataDir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'yoloops-authstart-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  vi.restoreAllMocks();
});
const start = (options: Partial<StartServerOptions>) =>
  startServer({ dataDir: dataDir(), port: 0, host: '127.0.0.1', rateLimits: false, accounts: { passwordCost: TEST_PASSWORD_COST }, ...options });

describe('E9: required mode refuses to start without a safe secret or any account', () => {
  test.each([
    ['a published default secret', 'your-secret-key', /published example secret/],
    ['the seed 003 origin\'s secret', 'default-jwt-secret-key', /published example secret/],
    ['a short secret', 'short-but-not-empty', /at least 32 bytes/],
  ])('%s', async (_, jwtSecret, message) => {
    await expect(start({ auth: { mode: 'required', jwtSecret, adminPassword: ADMIN_PASSWORD } })).rejects.toThrow(message);
  });

  test('no user and no YOLOOPS_ADMIN_PASSWORD: refuses, naming both ways to make the first admin; the port is freed', async () => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    await expect(start({ port, auth: { mode: 'required' } })).rejects.toThrow(/no user yet.*yoloops users add NAME --admin.*YOLOOPS_ADMIN_PASSWORD/);
    const again = await start({ port, auth: { mode: 'off' } });
    await again.close();
  });
});

describe('the auth mode from the host', () => {
  test('127.0.0.1 (the default host) runs with auth off: no token acts locally, a bad token is still a 401', async () => {
    const server = await start({});
    try {
      expect((await rawRequest(server.url, 'GET', '/datasets')).status).toBe(200);
      const bad = await rawRequest(server.url, 'GET', '/datasets', { headers: { authorization: 'Bearer nope.nope.nope' } });
      expect(bad.status).toBe(401);
      expect(bad.json).toMatchObject({ code: 'invalid_token' });
    } finally {
      await server.close();
    }
  });

  test('0.0.0.0 requires a token by default; off there must be asked for and prints a warning', async () => {
    const warn = vi.fn();
    const open = await start({ host: '0.0.0.0', auth: { adminPassword: ADMIN_PASSWORD }, warn });
    try {
      expect((await rawRequest(open.url, 'GET', '/datasets')).status).toBe(401);
      expect(warn).not.toHaveBeenCalled();
    } finally {
      await open.close();
    }
    const off = await start({ host: '0.0.0.0', auth: { mode: 'off' }, warn });
    try {
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/YOLOOPS_AUTH=off while listening on 0\.0\.0\.0/));
      expect((await rawRequest(off.url, 'GET', '/datasets')).status).toBe(200);
    } finally {
      await off.close();
    }
  });
});

describe('E9: tokens never reach logs or error bodies', () => {
  test('failed, revoked and forged tokens, and a logout, write no token anywhere', async () => {
    const lines: string[] = [];
    for (const method of ['log', 'info', 'warn', 'error'] as const) vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' ')));
    const s = await startAuthServer();
    try {
      const token = s.adminToken;
      const bodies: string[] = [];
      bodies.push((await s.call('GET', '/api/v1/auth/me', { token: `${token}x` })).text);
      bodies.push((await s.call('POST', '/api/v1/auth/logout', { token })).text);
      bodies.push((await s.call('GET', '/datasets', { token })).text);
      bodies.push((await s.call('GET', '/api/models/1/training-metrics/chart', { headers: { authorization: token } })).text);
      bodies.push((await s.call('POST', '/api/v1/auth/token', form({ username: 'admin', password: token }))).text);
      bodies.push((await s.call('POST', '/api/v1/login', { json: { username: token, password: token } })).text);
      const signature = token.split('.')[2]!;
      for (const text of [...bodies, ...lines]) expect(text).not.toContain(signature);
      expect(bodies.every((b) => b.length > 0)).toBe(true);
    } finally {
      await s.close();
    }
  });
});
