import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, type RunningServer, type StartServerOptions } from '@yoloops/server-express';
import { rawRequest, type RawResponse } from './http.js';

/** Password of the first admin (`admin`) of every auth test server. */
export const ADMIN_PASSWORD = 'correct horse battery staple';
/** Cheap scrypt for tests (the default costs 128 MiB and a few hundred ms per login). */
export const TEST_PASSWORD_COST = { N: 2 ** 10, r: 8, p: 1 };

export interface AuthServer {
  url: string;
  dataDir: string;
  server: RunningServer;
  /** A fresh token of `admin`. */
  adminToken: string;
  /** POST /api/v1/auth/token with the form; the token, or throws with the answer. */
  login(username: string, password: string): Promise<string>;
  /** Creates a user (as admin) and returns its id and a token of it. */
  member(username: string, options?: { role?: 'admin' | 'member' }): Promise<{ id: number; token: string; password: string }>;
  call(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', p: string, init?: { token?: string; json?: unknown; headers?: Record<string, string>; body?: string }): Promise<RawResponse>;
  close(): Promise<void>;
}

export const form = (fields: Record<string, string>) => ({
  body: new URLSearchParams(fields).toString(),
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
});

/** The real server (SQLite in a temp dir, real HTTP on port 0) with auth `required` and an `admin` account. */
export async function startAuthServer(options: Partial<StartServerOptions> = {}): Promise<AuthServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'yoloops-auth-'));
  const server = await startServer({
    dataDir, port: 0, host: '127.0.0.1', rateLimits: false, ...options,
    auth: { mode: 'required', adminPassword: ADMIN_PASSWORD, ...options.auth },
    accounts: { passwordCost: TEST_PASSWORD_COST, ...options.accounts },
  });
  const call: AuthServer['call'] = (method, p, init = {}) => {
    const headers: Record<string, string> = { ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...init.headers };
    if (init.json !== undefined) headers['content-type'] ??= 'application/json';
    return rawRequest(server.url, method, p, { headers, ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : init.body !== undefined ? { body: init.body } : {}) });
  };
  const login = async (username: string, password: string) => {
    const res = await call('POST', '/api/v1/auth/token', form({ username, password }));
    const token = (res.json as { access_token?: string } | undefined)?.access_token;
    if (res.status !== 200 || !token) throw new Error(`login of ${username} failed: ${res.status} ${res.text}`);
    return token;
  };
  const adminToken = await login('admin', ADMIN_PASSWORD);
  return {
    url: server.url, dataDir, server, adminToken, login, call,
    async member(username, { role = 'member' } = {}) {
      const password = `${username} has a long password`;
      const res = await call('POST', '/api/v1/auth/register', { token: adminToken, json: { username, password, role } });
      if (res.status !== 201) throw new Error(`register ${username}: ${res.status} ${res.text}`);
      return { id: (res.json as { id: number }).id, token: await login(username, password), password };
    },
    async close() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
