import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { jsonInit, rawRequest, type RawInit, type RawResponse } from '../support/http.js';
import { startPlatformServer, type PlatformServer } from '../support/model-fixtures.js';

// F6 (token guessing → 429; one tenant's limit does not block another), E7 (login brute force behind a
// new spoofed X-Forwarded-For per request → still 429), and limits kept per user, with auth required.

const CHEAP_KDF = { N: 2 ** 10, r: 8, p: 1 }; // the test's users only: scrypt at OWASP cost takes ~0.3 s a login
const header = (res: RawResponse, name: string) => res.headers[name.toLowerCase()] as string | undefined;
const randomIp = () => `198.18.${randomBytes(1)[0]}.${randomBytes(1)[0]! % 250 + 1}`;
const bearer = (token: string, ip?: string): RawInit => ({ headers: { authorization: `Bearer ${token}`, ...(ip ? { 'x-forwarded-for': ip } : {}) } });
const fakeJwt = () => ['eyJhbGciOiJIUzI1NiJ9', randomBytes(24).toString('base64url'), randomBytes(32).toString('base64url')].join('.');
const form = (username: string, password: string, ip?: string): RawInit => ({
  body: new URLSearchParams({ username, password }).toString(),
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...(ip ? { 'x-forwarded-for': ip } : {}) },
});

async function usersOn(s: PlatformServer, ...names: string[]): Promise<Record<string, string>> {
  const tokens: Record<string, string> = {};
  for (const name of names) {
    const user = await s.platform.accounts.createUser({ username: name, password: `${name}-password-1` });
    tokens[name] = (await s.platform.accounts.issueToken(user)).token;
  }
  return tokens;
}

describe('behind one trusted proxy (X-Forwarded-For names the client)', () => {
  let s: PlatformServer;
  let tokens: Record<string, string>;
  beforeAll(async () => {
    s = await startPlatformServer({ accounts: { passwordCost: CHEAP_KDF }, app: { auth: { mode: 'required' }, trustProxy: 1, rateLimits: { api: { limit: 5, windowMs: 60_000 } } } });
    tokens = await usersOn(s, 'alice', 'bob', 'carol', 'dave');
  }, 30_000);
  afterAll(async () => s?.close());

  test('limits count per user: alice\'s exhausted budget is hers on every address; bob on the same address is untouched', async () => {
    for (let i = 0; i < 5; i++) expect((await rawRequest(s.url, 'GET', '/datasets', bearer(tokens.alice!, '203.0.113.1'))).status).toBe(200);
    const refused = await rawRequest(s.url, 'GET', '/datasets', bearer(tokens.alice!, '203.0.113.1'));
    expect(refused.status).toBe(429);
    expect(refused.json).toMatchObject({ code: 'rate_limited', detail: expect.stringMatching(/^rate limit of 5 per minute reached; retry in \d+ s$/) });
    expect((await rawRequest(s.url, 'GET', '/datasets', bearer(tokens.alice!, '203.0.113.99'))).status).toBe(429);
    const bob = await rawRequest(s.url, 'GET', '/datasets', bearer(tokens.bob!, '203.0.113.1'));
    expect(bob.status).toBe(200);
    expect(header(bob, 'X-RateLimit-Remaining')).toBe('4');
  });

  test('F6: guessed tokens count per address; past 30 failures that address\'s credentials are refused unread, other addresses and users go on', async () => {
    const guesser = '203.0.113.50';
    for (let i = 0; i < 30; i++) expect((await rawRequest(s.url, 'GET', '/datasets', bearer(fakeJwt(), guesser))).status).toBe(401);
    const refused = await rawRequest(s.url, 'GET', '/datasets', bearer(fakeJwt(), guesser));
    expect(refused.status).toBe(429);
    expect(refused.json).toMatchObject({ code: 'rate_limited', detail: expect.stringMatching(/^too many requests with failing credentials from this address \(30 per minute\); retry in \d+ s$/) });
    expect(Number(header(refused, 'Retry-After'))).toBeGreaterThan(0);
    // Even a right guess from there is not checked, so guessing learns nothing more.
    expect((await rawRequest(s.url, 'GET', '/datasets', bearer(tokens.carol!, guesser))).status).toBe(429);
    // Another tenant elsewhere is not blocked, and its own failures are still plain 401s.
    expect((await rawRequest(s.url, 'GET', '/datasets', bearer(tokens.dave!, '203.0.113.51'))).status).toBe(200);
    expect((await rawRequest(s.url, 'GET', '/datasets', bearer(fakeJwt(), '203.0.113.51'))).status).toBe(401);
  });

  test('E7: a guess at one account from a new address each time is still a 429 after 10 failures (per username)', async () => {
    for (let i = 0; i < 10; i++) expect((await rawRequest(s.url, 'POST', '/api/v1/auth/token', form('Bob', `guess-${i}`, randomIp()))).status).toBe(401);
    const refused = await rawRequest(s.url, 'POST', '/api/v1/auth/token', form('bob', 'bob-password-1', randomIp()));
    expect(refused.status).toBe(429);
    expect(refused.json).toMatchObject({ detail: expect.stringMatching(/^rate limit of 10 per minute reached; retry in \d+ s$/), code: 'rate_limited' });
    expect(Number(header(refused, 'Retry-After'))).toBeGreaterThan(0);
    // Seed 003's login shares the budget and answers in its envelope.
    const seed003 = await rawRequest(s.url, 'POST', '/api/v1/login', { ...jsonInit({ username: 'bob', password: 'bob-password-1' }), headers: { 'content-type': 'application/json', 'x-forwarded-for': randomIp() } });
    expect(seed003.status).toBe(429);
    expect(seed003.json).toMatchObject({ error: { code: 'TOO_MANY_REQUESTS', message: expect.stringMatching(/^rate limit of 10 per minute/) }, timestamp: expect.any(String), request_id: expect.any(String) });
    // Another account is not locked by it.
    expect((await rawRequest(s.url, 'POST', '/api/v1/auth/token', form('dave', 'dave-password-1', randomIp()))).status).toBe(200);
  });

  test('successful logins do not use the login budget', async () => {
    const ip = '203.0.113.70';
    for (let i = 0; i < 12; i++) expect((await rawRequest(s.url, 'POST', '/api/v1/auth/token', form('carol', 'carol-password-1', ip))).status).toBe(200);
  });
});

describe('no trusted proxy (the default): X-Forwarded-For is ignored', () => {
  let s: PlatformServer;
  let erin: string;
  beforeAll(async () => {
    s = await startPlatformServer({ accounts: { passwordCost: CHEAP_KDF }, app: { auth: { mode: 'required' }, rateLimits: {} } });
    erin = (await usersOn(s, 'erin')).erin!;
  }, 30_000);
  afterAll(async () => s?.close());

  test('E7: a password spray over many usernames with a new spoofed X-Forwarded-For per request is a 429 after 10 failures (per IP)', async () => {
    for (let i = 0; i < 10; i++) expect((await rawRequest(s.url, 'POST', '/api/v1/auth/token', form(`user${i}`, 'Winter2026!', randomIp()))).status).toBe(401);
    const refused = await rawRequest(s.url, 'POST', '/api/v1/auth/token', form('erin', 'erin-password-1', randomIp()));
    expect(refused.status).toBe(429);
    expect(refused.json).toMatchObject({ code: 'rate_limited' });
    expect(header(refused, 'X-RateLimit-Limit')).toBe('10');
    expect(header(refused, 'X-RateLimit-Remaining')).toBe('0');
  });

  test('good tokens never use the failure budget', async () => {
    for (let i = 0; i < 35; i++) expect((await rawRequest(s.url, 'GET', '/api/v1/auth/me', bearer(erin))).status).toBe(200);
    expect((await rawRequest(s.url, 'GET', '/datasets', bearer(fakeJwt()))).status).toBe(401);
  });

  test('F6 on the real budget: failing tokens from one address, spoofed X-Forwarded-For or not, are a 429 after 30', async () => {
    for (let i = 0; i < 29; i++) expect((await rawRequest(s.url, 'GET', '/models', bearer(fakeJwt(), randomIp()))).status).toBe(401); // + the one above
    expect((await rawRequest(s.url, 'GET', '/models', bearer(fakeJwt(), randomIp()))).status).toBe(429);
    // Requests without any credential are not guesses: they stay plain 401s.
    expect((await rawRequest(s.url, 'GET', '/models')).status).toBe(401);
  });
});

describe('E8 with auth required', () => {
  test('a cross-site write is a 403 before auth runs, with or without a valid token', async () => {
    const s = await startPlatformServer({ accounts: { passwordCost: CHEAP_KDF }, app: { auth: { mode: 'required' } } });
    try {
      const { frank } = await usersOn(s, 'frank');
      for (const init of [{}, bearer(frank!)]) {
        const res = await rawRequest(s.url, 'POST', '/train/jobs', { body: JSON.stringify({ dataset_id: 'ds_x' }), headers: { ...init.headers, 'content-type': 'application/json', origin: 'https://evil.example' } });
        expect(res.status).toBe(403);
        expect(res.json).toMatchObject({ code: 'cross_site_request' });
      }
      const same = await rawRequest(s.url, 'POST', '/train/jobs', { body: JSON.stringify({ dataset_id: 'ds_x' }), headers: { ...bearer(frank!).headers, 'content-type': 'application/json', origin: new URL(s.url).origin } });
      expect(same.status).toBe(404);
    } finally {
      await s.close();
    }
  });
});
