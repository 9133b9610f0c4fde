import { generateKeyPairSync, sign as rsaSign } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startAuthServer, type AuthServer } from '../support/auth.js';
import { claimsOf, rawHttp, signJwt } from '../support/raw-http.js';

const KEY = 'a test secret that is long enough to sign with, 48+ bytes';

let s: AuthServer;
beforeAll(async () => {
  s = await startAuthServer({ auth: { jwtSecret: KEY } });
});
afterAll(async () => s.close());

const me = (authorization: string) => s.call('GET', '/api/v1/auth/me', { headers: { authorization } });
const flip = (c: string) => (c === 'A' ? 'B' : 'A');

describe('E4: malformed bearer tokens are a 401, never a 500', () => {
  test.each([
    ['right length, wrong value', (t: string) => `Bearer ${t.slice(0, -6)}${[...t.slice(-6)].map(flip).join('')}`, 'invalid_token'],
    ['shorter', (t: string) => `Bearer ${t.slice(0, -10)}`, 'invalid_token'],
    ['longer', (t: string) => `Bearer ${t}abc`, 'invalid_token'],
    ['empty', () => 'Bearer ', 'malformed_credentials'],
    ['the scheme alone', () => 'Bearer', 'malformed_credentials'],
    ['another scheme', (t: string) => `Basic ${t}`, 'malformed_credentials'],
    ['two tokens', (t: string) => `Bearer ${t} ${t}`, 'malformed_credentials'],
    ['lowercase bearer with a bad token', () => 'bearer not.a.token', 'invalid_token'],
    ['9 kB', () => `Bearer ${'a'.repeat(9000)}`, 'malformed_credentials'],
    ['not a JWT at all', () => 'Bearer xxxxxxxxxxxxxxxxxxxxxxxx', 'invalid_token'],
  ])('%s', async (_, header, code) => {
    const res = await me(header(s.adminToken));
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({ detail: 'Could not validate credentials', code });
    expect(res.text).not.toContain(s.adminToken.slice(-20));
  });

  test('the scheme is case-insensitive for a good token', async () => {
    for (const scheme of ['bearer', 'BEARER', 'BeArEr']) expect((await me(`${scheme} ${s.adminToken}`)).status).toBe(200);
  });

  test('non-ASCII bytes, two Authorization headers and a 1 MB header, written byte for byte', async () => {
    const utf8 = await rawHttp(s.url, ['GET /api/v1/auth/me HTTP/1.1', Buffer.from('Authorization: Bearer t\u00f6k\u00e9n\u2603', 'utf8')]);
    expect(utf8.status).toBe(401);
    expect(JSON.parse(utf8.body)).toMatchObject({ code: 'malformed_credentials' });
    const twice = await rawHttp(s.url, ['GET /api/v1/auth/me HTTP/1.1', `Authorization: Bearer ${s.adminToken}`, `Authorization: Bearer ${s.adminToken}`]);
    expect(twice.status).toBe(401);
    expect(JSON.parse(twice.body)).toMatchObject({ code: 'malformed_credentials', reason: expect.stringMatching(/2 Authorization headers/) });
    // Node's HTTP parser refuses headers past its 16 kB limit before any handler: 431, not a crash.
    const huge = await rawHttp(s.url, ['GET /api/v1/auth/me HTTP/1.1', `Authorization: Bearer ${'a'.repeat(1024 * 1024)}`]);
    expect(huge.status).toBe(431);
    expect((await s.call('GET', '/health')).status).toBe(200);
  });

  test('seed 000 routes take the raw token as their clients send it, and refuse a bad one in their envelope', async () => {
    const path = '/api/models/1/training-metrics/chart';
    const raw = await s.call('GET', path, { headers: { authorization: s.adminToken } });
    expect(raw.status).toBe(404); // past auth: model 1 has no metrics here
    expect(raw.json).toMatchObject({ code: 404 });
    const bad = await s.call('GET', path, { headers: { authorization: 'garbage' } });
    expect(bad.status).toBe(401);
    expect(bad.json).toMatchObject({ code: 401, message: 'Invalid token', data: null });
  });
});

describe('E5: forged and stale JWTs are a 401', () => {
  const good = () => claimsOf(s.adminToken);
  const nowS = () => Math.floor(Date.now() / 1000);
  const HS = { alg: 'HS256', typ: 'JWT' };

  test.each([
    ['alg none', () => `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(good())).toString('base64url')}.`, 'invalid_token'],
    ['HS256 with another key', () => signJwt(HS, good(), 'another key that is also long enough to be a secret'), 'invalid_token'],
    ['kid ../../dev/null (an empty key)', () => signJwt({ ...HS, kid: '../../dev/null' }, good(), ''), 'invalid_token'],
    ['expired', () => signJwt(HS, { ...good(), iat: nowS() - 7200, exp: nowS() - 3600 }, KEY), 'token_expired'],
    ['no exp', () => signJwt(HS, (({ exp: _, ...rest }) => rest)(good()), KEY), 'invalid_token'],
    ['wrong aud', () => signJwt(HS, { ...good(), aud: 'someone-else' }, KEY), 'invalid_token'],
    ['wrong iss', () => signJwt(HS, { ...good(), iss: 'evil' }, KEY), 'invalid_token'],
    ['an agent audience on a user route', () => signJwt(HS, { ...good(), aud: 'yoloops-agent' }, KEY), 'invalid_token'],
    ['an old token version', () => signJwt(HS, { ...good(), ver: Number(good().ver) - 1 }, KEY), 'token_revoked'],
    ['a user that does not exist', () => signJwt(HS, { ...good(), sub: '999' }, KEY), 'invalid_token'],
  ])('%s', async (_, forge, code) => {
    const token = forge();
    const res = await me(`Bearer ${token}`);
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({ code });
    expect(res.text).not.toContain(token.split('.')[2] || 'never-empty');
  });

  test('RS256 (an RSA key, as in the HS256/RS256 confusion) is refused', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const input = `${Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(good())).toString('base64url')}`;
    const token = `${input}.${rsaSign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
    expect((await me(`Bearer ${token}`)).status).toBe(401);
  });

  test('the same claims signed with the real key are accepted (the forgeries fail for their flaw alone)', async () => {
    expect((await me(`Bearer ${signJwt(HS, good(), KEY)}`)).json).toMatchObject({ username: 'admin' });
  });
});
