import { createClient } from '@yoloops/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fixturePath, zipDirectory } from '../../../test/support/fixtures.js';
import { ADMIN_PASSWORD, form, startAuthServer, type AuthServer } from './support/auth.js';

let s: AuthServer;
beforeAll(async () => {
  s = await startAuthServer();
});
afterAll(async () => s.close());

const cookieOf = (setCookie: string | string[] | undefined) => [setCookie ?? []].flat().find((c) => c.startsWith('yoloops_session='));

describe('POST /api/v1/auth/token', () => {
  test('answers the OAuth2 token and sets an HttpOnly, SameSite=Strict session cookie', async () => {
    const res = await s.call('POST', '/api/v1/auth/token', form({ username: 'admin', password: ADMIN_PASSWORD, grant_type: 'password' }));
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ access_token: expect.stringMatching(/^ey[\w-]+\.[\w-]+\.[\w-]+$/), token_type: 'bearer', expires_in: 86400 });
    const cookie = cookieOf(res.headers['set-cookie']);
    expect(cookie).toMatch(/^yoloops_session=ey[\w.-]+; Max-Age=86400; Path=\/; HttpOnly; SameSite=Strict$/);
  });

  test('a wrong password and an unknown user are the same 401 with WWW-Authenticate: Bearer', async () => {
    for (const fields of [{ username: 'admin', password: 'not the password' }, { username: 'nobody', password: ADMIN_PASSWORD }]) {
      const res = await s.call('POST', '/api/v1/auth/token', form(fields));
      expect(res.status).toBe(401);
      expect(res.json).toMatchObject({ detail: 'Incorrect username or password' });
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(res.headers['set-cookie']).toBeUndefined();
    }
  });

  test('missing fields are a 422 listing each; a JSON body is a 422 asking for the form', async () => {
    const res = await s.call('POST', '/api/v1/auth/token', form({ username: 'admin' }));
    expect(res.status).toBe(422);
    expect((res.json as { detail: Array<{ loc: string[] }> }).detail.map((d) => d.loc)).toEqual([['body', 'password']]);
    const json = await s.call('POST', '/api/v1/auth/token', { json: { username: 'admin', password: ADMIN_PASSWORD } });
    expect(json.status).toBe(422);
    expect(JSON.stringify(json.json)).toContain('x-www-form-urlencoded');
  });
});

describe('POST /api/v1/login (seed 003)', () => {
  test('logs in on the same accounts with JSON; the token works on /auth/me', async () => {
    const res = await s.call('POST', '/api/v1/login', { json: { username: 'admin', password: ADMIN_PASSWORD } });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ token: expect.any(String), expires_in: 86400, token_type: 'Bearer' });
    const me = await s.call('GET', '/api/v1/auth/me', { token: (res.json as { token: string }).token });
    expect(me.json).toMatchObject({ username: 'admin', role: 'admin' });
  });

  test('415 for another content type, 400 for a missing field, 401 "Invalid credentials", in seed 003\'s envelope', async () => {
    const plain = await s.call('POST', '/api/v1/login', { body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }), headers: { 'content-type': 'text/plain' } });
    expect(plain.status).toBe(415);
    expect(plain.json).toMatchObject({ error: { code: 'UNSUPPORTED_MEDIA_TYPE' }, request_id: expect.any(String) });
    const missing = await s.call('POST', '/api/v1/login', { json: { username: 'admin' } });
    expect(missing.status).toBe(400);
    expect(missing.json).toMatchObject({ error: { code: 'INVALID_REQUEST', message: 'Username and password are required' } });
    const wrong = await s.call('POST', '/api/v1/login', { json: { username: 'admin', password: 'wrong password!' } });
    expect(wrong.status).toBe(401);
    expect(wrong.json).toMatchObject({ error: { code: 'UNAUTHORIZED', message: 'Invalid credentials' }, timestamp: expect.any(String) });
  });
});

describe('GET /api/v1/auth/me', () => {
  test('answers the signed-in user through the typed client', async () => {
    const client = createClient({ baseUrl: s.url, token: s.adminToken });
    const me = await client.request('get', '/api/v1/auth/me', {});
    expect(me).toEqual({ id: 1, username: 'admin', email: null, role: 'admin', is_active: true, created_at: expect.any(String), updated_at: expect.any(String) });
    await client.close();
  });

  test('no token: FastAPI\'s "Not authenticated"; a bad one: "Could not validate credentials"; both with WWW-Authenticate', async () => {
    const none = await s.call('GET', '/api/v1/auth/me');
    expect(none.status).toBe(401);
    expect(none.json).toMatchObject({ detail: 'Not authenticated', code: 'not_authenticated' });
    expect(none.headers['www-authenticate']).toBe('Bearer');
    const bad = await s.call('GET', '/api/v1/auth/me', { token: `${s.adminToken.slice(0, -4)}AAAA` });
    expect(bad.status).toBe(401);
    expect(bad.json).toMatchObject({ detail: 'Could not validate credentials', code: 'invalid_token' });
    expect(bad.headers['www-authenticate']).toMatch(/^Bearer/);
  });
});

describe('accounts over HTTP', () => {
  test('register: admin only, 400 "Username already registered" in any case; members cannot list users', async () => {
    const ada = await s.member('ada');
    const again = await s.call('POST', '/api/v1/auth/register', { token: s.adminToken, json: { username: 'ADA', password: 'another long password' } });
    expect(again.status).toBe(400);
    expect(again.json).toMatchObject({ detail: 'Username already registered' });
    const byMember = await s.call('POST', '/api/v1/auth/register', { token: ada.token, json: { username: 'eve', password: 'eve wants in badly' } });
    expect(byMember.status).toBe(403);
    const anonymous = await s.call('POST', '/api/v1/auth/register', { json: { username: 'eve', password: 'eve wants in badly' } });
    expect(anonymous.status).toBe(401);
    expect((await s.call('GET', '/api/v1/users', { token: ada.token })).status).toBe(403);
    const list = await s.call('GET', '/api/v1/users', { token: s.adminToken });
    expect((list.json as Array<{ username: string }>).map((u) => u.username)).toEqual(['admin', 'ada']);
  });

  test('a disabled user\'s tokens stop working and it cannot log in on either route (401, inactive)', async () => {
    const bob = await s.member('bob');
    expect((await s.call('GET', '/api/v1/auth/me', { token: bob.token })).status).toBe(200);
    const disabled = await s.call('PATCH', `/api/v1/users/${bob.id}`, { token: s.adminToken, json: { is_active: false } });
    expect(disabled.json).toMatchObject({ username: 'bob', is_active: false });
    const me = await s.call('GET', '/api/v1/auth/me', { token: bob.token });
    expect(me.status).toBe(401);
    expect(me.json).toMatchObject({ code: 'user_inactive' });
    const token = await s.call('POST', '/api/v1/auth/token', form({ username: 'bob', password: bob.password }));
    expect(token.status).toBe(401);
    expect(token.json).toMatchObject({ code: 'user_inactive', detail: expect.stringMatching(/Inactive user/) });
    const login = await s.call('POST', '/api/v1/login', { json: { username: 'bob', password: bob.password } });
    expect(login.status).toBe(401);
    await s.call('PATCH', `/api/v1/users/${bob.id}`, { token: s.adminToken, json: { is_active: true } });
    expect(await s.login('bob', bob.password)).toEqual(expect.any(String));
    expect((await s.call('GET', '/api/v1/auth/me', { token: bob.token })).status).toBe(401); // the old token stays dead
  });

  test('an admin cannot disable itself; an unknown user is 404; unknown fields are 422', async () => {
    expect((await s.call('PATCH', '/api/v1/users/1', { token: s.adminToken, json: { is_active: false } })).status).toBe(400);
    expect((await s.call('PATCH', '/api/v1/users/999', { token: s.adminToken, json: { role: 'admin' } })).status).toBe(404);
    expect((await s.call('PATCH', '/api/v1/users/1', { token: s.adminToken, json: { token_version: 0 } })).status).toBe(422);
  });

  test('changing the password ends every older token of the account and answers a new one', async () => {
    const cy = await s.member('cy');
    const other = await s.login('cy', cy.password);
    const wrong = await s.call('PUT', '/api/v1/auth/password', { token: cy.token, json: { current_password: 'not it at all', new_password: 'a brand new passphrase' } });
    expect(wrong.status).toBe(400);
    const res = await s.call('PUT', '/api/v1/auth/password', { token: cy.token, json: { current_password: cy.password, new_password: 'a brand new passphrase' } });
    expect(res.status).toBe(200);
    const fresh = (res.json as { access_token: string }).access_token;
    for (const old of [cy.token, other]) expect((await s.call('GET', '/api/v1/auth/me', { token: old })).status).toBe(401);
    expect((await s.call('GET', '/api/v1/auth/me', { token: fresh })).json).toMatchObject({ username: 'cy' });
    await expect(s.login('cy', cy.password)).rejects.toThrow(/401/);
    expect(await s.login('cy', 'a brand new passphrase')).toEqual(expect.any(String));
  });

  test('logout revokes the token and clears the cookie; other tokens of the user still work', async () => {
    const dee = await s.member('dee');
    const second = await s.login('dee', dee.password);
    const res = await s.call('POST', '/api/v1/auth/logout', { token: dee.token });
    expect(res.json).toEqual({ message: 'Successfully logged out' });
    expect(cookieOf(res.headers['set-cookie'])).toMatch(/^yoloops_session=; Max-Age=0/);
    expect((await s.call('GET', '/api/v1/auth/me', { token: dee.token })).json).toMatchObject({ code: 'token_revoked' });
    expect((await s.call('GET', '/api/v1/auth/me', { token: second })).status).toBe(200);
  });
});

describe('the typed client', () => {
  test('logs in on both routes, reads me, administers users, changes its password and logs out', async () => {
    const client = createClient({ baseUrl: s.url });
    await expect(client.auth.me()).rejects.toMatchObject({ status: 401 });
    const answer = await client.auth.login('admin', ADMIN_PASSWORD);
    expect(answer).toMatchObject({ token_type: 'bearer', expires_in: 86400 });
    expect(await client.auth.me()).toMatchObject({ username: 'admin', role: 'admin' });
    const fay = await client.auth.register({ username: 'fay', password: 'fay has a long password', email: 'fay@example.org' });
    expect(fay).toMatchObject({ username: 'fay', email: 'fay@example.org', role: 'member', is_active: true });
    expect((await client.users.update(fay.id, { role: 'admin' })).role).toBe('admin');
    expect((await client.users.list()).map((u) => u.username)).toContain('fay');
    const asFay = createClient({ baseUrl: s.url });
    expect(await asFay.auth.loginJson('fay', 'fay has a long password')).toMatchObject({ token_type: 'Bearer' });
    const old = asFay.getToken();
    await asFay.auth.changePassword('fay has a long password', 'fay has another long one');
    expect(asFay.getToken()).not.toBe(old);
    expect(await asFay.auth.me()).toMatchObject({ username: 'fay', role: 'admin' });
    await asFay.auth.logout();
    expect(asFay.getToken()).toBeUndefined();
    await asFay.close();
    await client.close();
  });
});

describe('the session cookie', () => {
  test('authenticates a GET of a /static dataset image, never a POST', async () => {
    const client = createClient({ baseUrl: s.url, token: s.adminToken });
    const { dataset_id } = await client.datasets.upload({ data: await zipDirectory(fixturePath('datasets/coco8')), filename: 'coco8.zip' });
    await client.datasets.prepare(dataset_id);
    await client.close();
    const image = `/static/datasets/${dataset_id}/v1/images/train/000000000009.jpg`;
    expect((await s.call('GET', image)).status).toBe(401);
    const login = await s.call('POST', '/api/v1/auth/token', form({ username: 'admin', password: ADMIN_PASSWORD }));
    const cookie = (cookieOf(login.headers['set-cookie']) ?? '').split(';')[0] ?? '';
    const got = await s.call('GET', image, { headers: { cookie } });
    expect(got.status).toBe(200);
    expect(got.headers['content-type']).toBe('image/jpeg');
    expect((await s.call('GET', '/api/v1/auth/me', { headers: { cookie } })).status).toBe(200);
    const download = await s.call('GET', `/datasets/${dataset_id}/export/original`, { headers: { cookie } });
    expect(download.status).toBe(200);
    expect(download.headers['content-type']).toBe('application/zip');
    expect((await s.call('GET', `/datasets/${dataset_id}/export/original`)).status).toBe(401);
    const stale = await s.call('GET', image, { headers: { cookie: 'yoloops_session=eyJhbGciOiJIUzI1NiJ9.e30.bad' } });
    expect(stale.status).toBe(401);
    expect(stale.json).toMatchObject({ code: 'invalid_token' });
    const post = await s.call('POST', '/train/jobs', { headers: { cookie }, json: { dataset_id, epochs: 1 } });
    expect(post.status).toBe(401);
    expect(post.json).toMatchObject({ code: 'not_authenticated' });
    const del = await s.call('DELETE', `/datasets/${dataset_id}`, { headers: { cookie } });
    expect(del.status).toBe(401);
  });
});

describe('open registration (YOLOOPS_REGISTRATION=open)', () => {
  test('anyone may register a member, never an admin; every other route still needs a token', async () => {
    const open = await startAuthServer({ auth: { registration: 'open' } });
    try {
      const created = await open.call('POST', '/api/v1/auth/register', { json: { username: 'gus', password: 'gus has a long password' } });
      expect(created.status).toBe(201);
      expect(created.json).toMatchObject({ username: 'gus', role: 'member' });
      const admin = await open.call('POST', '/api/v1/auth/register', { json: { username: 'mallory', password: 'mallory wants admin', role: 'admin' } });
      expect(admin.status).toBe(403);
      const bad = await open.call('POST', '/api/v1/auth/register', { token: 'not.a.token', json: { username: 'hal', password: 'hal has a long password' } });
      expect(bad.status).toBe(401);
      expect((await open.call('GET', '/api/v1/users')).status).toBe(401);
      expect((await open.call('GET', '/datasets')).status).toBe(401);
      expect((await open.call('POST', '/api/v1/auth/register', { token: open.adminToken, json: { username: 'ivy', password: 'ivy has a long password', role: 'admin' } })).json).toMatchObject({ role: 'admin' });
      expect(await open.login('gus', 'gus has a long password')).toEqual(expect.any(String));
    } finally {
      await open.close();
    }
  });
});
