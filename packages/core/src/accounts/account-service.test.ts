import { createHash } from 'node:crypto';
import { SignJWT, UnsecuredJWT, decodeJwt } from 'jose';
import { describe, expect, test } from 'vitest';
import { createMemoryRevocationStore } from '../adapters/memory/memory-revocation-store.js';
import { createMemoryUserStore } from '../adapters/memory/memory-user-store.js';
import { createAccountService } from './account-service.js';
import { AuthError } from './auth-error.js';
import { hashPassword, parsePasswordHash } from './password-hash.js';

const cheap = { N: 2 ** 10, r: 8, p: 1 };
const secret = new TextEncoder().encode('k'.repeat(40));

function setup(options: { tokenTtlS?: number; passwordCost?: typeof cheap } = {}) {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const clock = { now: () => new Date(now) };
  const users = createMemoryUserStore({ clock });
  const revocations = createMemoryRevocationStore();
  const accounts = createAccountService({ users, revocations, secret, clock, passwordCost: cheap, ...options });
  return { accounts, users, revocations, advance: (s: number) => (now += s * 1000), nowS: () => Math.floor(now / 1000) };
}

const refusal = async (promise: Promise<unknown>) => {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(AuthError);
  return (error as AuthError).reason;
};

describe('createUser', () => {
  test('creates members by default, admins when asked, and never exposes the hash', async () => {
    const { accounts, users } = setup();
    const ada = await accounts.createUser({ username: 'Ada', password: 'correct horse', email: 'ada@example.org', role: 'admin' });
    expect(ada).toEqual({ id: 1, username: 'Ada', email: 'ada@example.org', role: 'admin', is_active: true, created_at: ada.created_at, updated_at: ada.created_at });
    expect(await accounts.createUser({ username: 'bob', password: 'hunter2hunter2' })).toMatchObject({ id: 2, role: 'member', email: null });
    expect(Object.keys((await accounts.list())[0]!)).not.toContain('password_hash');
    expect(parsePasswordHash((await users.get(1))!.password_hash)?.cost).toEqual(cheap);
    expect(await accounts.count()).toBe(2);
  });

  test('refuses a username taken in any case with "Username already registered"', async () => {
    const { accounts } = setup();
    await accounts.createUser({ username: 'Ada', password: 'correct horse' });
    await expect(accounts.createUser({ username: 'aDA', password: 'another one' })).rejects.toMatchObject({ code: 'CONFLICT', message: 'Username already registered' });
  });

  test.each([
    [{ username: '', password: 'password1' }, 'username'],
    [{ username: 'a'.repeat(65), password: 'password1' }, 'username'],
    [{ username: 'ada lovelace', password: 'password1' }, 'username'],
    [{ username: 'ada/../x', password: 'password1' }, 'username'],
    [{ username: 'ada', password: 'short' }, 'password'],
    [{ username: 'ada', password: 'p'.repeat(1025) }, 'password'],
    [{ username: 'ada', password: 'password1', email: 'not-an-address' }, 'email'],
    [{ username: 'ada', password: 'password1', role: 'root' as 'admin' }, 'role'],
  ])('refuses %j naming the %s', async (input, field) => {
    const { accounts } = setup();
    await expect(accounts.createUser(input)).rejects.toMatchObject({ code: 'INVALID_INPUT', details: { field }, message: expect.stringMatching(new RegExp(`^${field}: `)) });
    expect(await accounts.count()).toBe(0);
  });

  test('accepts the edges: 64-character usernames of every allowed character, 8 and 1024-character passwords', async () => {
    const { accounts } = setup();
    await accounts.createUser({ username: `A-z_0.9@${'x'.repeat(56)}`, password: 'p'.repeat(8) });
    await accounts.createUser({ username: 'long', password: 'p'.repeat(1024) });
    expect((await accounts.authenticate('long', 'p'.repeat(1024))).ok).toBe(true);
    expect(await accounts.authenticate('long', 'p'.repeat(1025))).toEqual({ ok: false, reason: 'invalid' });
  });
});

describe('authenticate', () => {
  test('accepts the right password (username in any case), refuses wrong ones and unknown names alike', async () => {
    const { accounts } = setup();
    await accounts.createUser({ username: 'Ada', password: 'correct horse' });
    expect(await accounts.authenticate('ada', 'correct horse')).toMatchObject({ ok: true, user: { id: 1, username: 'Ada' } });
    expect(await accounts.authenticate('Ada', 'correct horsE')).toEqual({ ok: false, reason: 'invalid' });
    expect(await accounts.authenticate('nobody', 'correct horse')).toEqual({ ok: false, reason: 'invalid' });
    expect(await accounts.authenticate('x'.repeat(5000), 'correct horse')).toEqual({ ok: false, reason: 'invalid' });
  });

  test('a disabled user is "inactive" only with the right password', async () => {
    const { accounts } = setup();
    const ada = await accounts.createUser({ username: 'ada', password: 'correct horse' });
    await accounts.setActive(ada.id, false);
    expect(await accounts.authenticate('ada', 'correct horse')).toEqual({ ok: false, reason: 'inactive' });
    expect(await accounts.authenticate('ada', 'wrong password')).toEqual({ ok: false, reason: 'invalid' });
    await accounts.setActive(ada.id, true);
    expect((await accounts.authenticate('ada', 'correct horse')).ok).toBe(true);
  });

  test('an unknown username spends one full hash, as a known one does', async () => {
    const cost = { N: 2 ** 13, r: 8, p: 1 };
    const { accounts } = setup({ passwordCost: cost });
    await accounts.createUser({ username: 'ada', password: 'correct horse' });
    const once = async (name: string) => {
      const start = process.hrtime.bigint();
      await accounts.authenticate(name, 'wrong password');
      return Number(process.hrtime.bigint() - start);
    };
    // Interleaved, and the fastest of each: the intrinsic cost, whatever else the machine is doing.
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      known.push(await once('ada'));
      unknown.push(await once('nobody'));
    }
    // A skipped hash would be ~1000× faster; the margin leaves room for a busy machine.
    expect(Math.min(...unknown)).toBeGreaterThan(Math.min(...known) * 0.3);
  });

  test('a hash made at a lower cost is upgraded at the next good login, and tokens stay valid', async () => {
    const { accounts, users } = setup({ passwordCost: { N: 2 ** 11, r: 8, p: 1 } });
    const ada = await accounts.createUser({ username: 'ada', password: 'correct horse' });
    const { token } = await accounts.issueToken(ada);
    await users.update(ada.id, { password_hash: await hashPassword('correct horse', cheap) });
    expect((await accounts.authenticate('ada', 'correct horse')).ok).toBe(true);
    expect(parsePasswordHash((await users.get(ada.id))!.password_hash)?.cost.N).toBe(2 ** 11);
    expect((await accounts.authenticate('ada', 'correct horse')).ok).toBe(true);
    expect(await accounts.verify(token)).toMatchObject({ kind: 'user', user: { id: ada.id } });
  });
});

describe('tokens', () => {
  const withUser = async (options: Parameters<typeof setup>[0] = {}) => {
    const ctx = setup(options);
    const user = await ctx.accounts.createUser({ username: 'ada', password: 'correct horse', role: 'admin' });
    return { ...ctx, user, ...(await ctx.accounts.issueToken(user)) };
  };
  const sign = (claims: Record<string, unknown>, key: Uint8Array = secret, alg = 'HS256') => new SignJWT(claims).setProtectedHeader({ alg }).sign(key);

  test('issueToken signs HS256 with iss/aud yoloops, sub, ver, jti, iat and exp; verify gives the user', async () => {
    const { accounts, user, token, expires_in, nowS } = await withUser();
    expect(expires_in).toBe(86_400);
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { alg: string };
    expect(header.alg).toBe('HS256');
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ iss: 'yoloops', aud: 'yoloops', sub: String(user.id), ver: 0, iat: nowS(), exp: nowS() + 86_400 });
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(await accounts.verify(token)).toEqual({ kind: 'user', user });
  });

  test('the ttl is configurable, and a token past its exp is "expired" (also once its signature check is cached)', async () => {
    const { accounts, token, advance } = await withUser({ tokenTtlS: 60 });
    advance(59);
    expect((await accounts.verify(token)).kind).toBe('user');
    expect((await accounts.verify(token)).kind).toBe('user');
    advance(1);
    expect(await refusal(accounts.verify(token))).toBe('expired');
    advance(1);
    expect(await refusal(accounts.verify(token))).toBe('expired');
  });

  test('tampered, unsigned, foreign-key, other-alg, exp-less, wrong aud/iss and junk tokens are all "invalid"', async () => {
    const { accounts, token, user, nowS } = await withUser();
    const [h, p, s] = token.split('.') as [string, string, string];
    const payload = decodeJwt(token);
    const forgedPayload = Buffer.from(JSON.stringify({ ...payload, sub: '2', ver: 0 })).toString('base64url');
    const good = { iss: 'yoloops', aud: 'yoloops', sub: String(user.id), ver: 0, jti: 'j1', iat: nowS(), exp: nowS() + 600 };
    const refused = [
      `${h}.${forgedPayload}.${s}`,
      `${h}.${p}.${s.slice(0, -2)}${s.endsWith('AA') ? 'BB' : 'AA'}`,
      new UnsecuredJWT(good).encode(),
      `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${p}.`,
      await sign(good, new TextEncoder().encode('another secret of thirty-two bytes!!')),
      await sign(good, secret, 'HS512'),
      await sign({ ...good, exp: undefined }),
      await sign({ ...good, aud: 'someone-else' }),
      await sign({ ...good, aud: ['yoloops', 'yoloops-agent'] }),
      await sign({ ...good, iss: 'ai-platform' }),
      await sign({ ...good, jti: undefined }),
      await sign({ ...good, ver: undefined }),
      await sign({ ...good, sub: 'ada' }),
      await sign({ ...good, sub: '99' }),
      'not.a.token', '', 'Bearer x',
    ];
    for (const t of refused) expect([t, await refusal(accounts.verify(t))]).toEqual([t, 'invalid']);
    expect((await accounts.verify(await sign(good))).kind).toBe('user');
  });

  test('disabling a user ends its tokens ("inactive"), and re-enabling does not bring them back', async () => {
    const { accounts, user, token } = await withUser();
    expect((await accounts.verify(token)).kind).toBe('user');
    await accounts.setActive(user.id, false);
    expect(await refusal(accounts.verify(token))).toBe('inactive');
    await expect(accounts.issueToken(user)).rejects.toBeInstanceOf(AuthError);
    await accounts.setActive(user.id, true);
    expect(await refusal(accounts.verify(token))).toBe('revoked');
    expect((await accounts.verify((await accounts.issueToken(user)).token)).kind).toBe('user');
  });

  test('changing the password ends every token issued before; role changes keep them', async () => {
    const { accounts, user, token } = await withUser();
    const second = (await accounts.issueToken(user)).token;
    await accounts.setRole(user.id, 'member');
    expect(await accounts.verify(token)).toMatchObject({ user: { role: 'member' } });
    await accounts.setPassword(user.id, 'a new passphrase');
    expect(await refusal(accounts.verify(token))).toBe('revoked');
    expect(await refusal(accounts.verify(second))).toBe('revoked');
    expect((await accounts.authenticate('ada', 'correct horse')).ok).toBe(false);
    expect((await accounts.authenticate('ada', 'a new passphrase')).ok).toBe(true);
    await expect(accounts.setPassword(user.id, 'short')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(accounts.setPassword(42, 'long enough')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  test('logout revokes that one token, keyed by the SHA-256 of its jti, pruned once expired', async () => {
    const { accounts, user, token, revocations, advance } = await withUser({ tokenTtlS: 100 });
    const other = (await accounts.issueToken(user)).token;
    await accounts.revoke(token);
    expect(await refusal(accounts.verify(token))).toBe('revoked');
    expect((await accounts.verify(other)).kind).toBe('user');
    const jti = decodeJwt(token).jti!;
    expect(await revocations.has(jti)).toBe(false);
    expect(await revocations.has(createHash('sha256').update(jti).digest('hex'))).toBe(true);
    advance(101);
    const fresh = (await accounts.issueToken(user)).token;
    await accounts.revoke(fresh);
    expect(await revocations.has(createHash('sha256').update(jti).digest('hex'))).toBe(false);
    expect(await refusal(accounts.revoke('junk'))).toBe('invalid');
  });

  test('agent tokens name one job, last 30 days, and never pass as user tokens (nor the reverse)', async () => {
    const { accounts, token, advance, nowS } = await withUser();
    const agent = await accounts.issueAgentToken('job_abc');
    expect(agent.expires_in).toBe(30 * 86_400);
    expect(decodeJwt(agent.token)).toMatchObject({ aud: 'yoloops-agent', job: 'job_abc', sub: 'job:job_abc', exp: nowS() + 30 * 86_400 });
    expect(await accounts.verify(agent.token)).toEqual({ kind: 'agent', jobId: 'job_abc' });
    expect((await accounts.verify(token)).kind).toBe('user');
    const claims = decodeJwt(token);
    expect(await refusal(accounts.verify(await sign({ ...claims, aud: 'yoloops-agent' })))).toBe('invalid');
    expect(await refusal(accounts.verify(await sign({ ...decodeJwt(agent.token), aud: 'yoloops' })))).toBe('invalid');
    await accounts.revoke(agent.token);
    expect(await refusal(accounts.verify(agent.token))).toBe('revoked');
    const later = await accounts.issueAgentToken('job_abc');
    advance(30 * 86_400 + 1);
    expect(await refusal(accounts.verify(later.token))).toBe('expired');
  });
});

describe('notify secrets', () => {
  test('are derived per job (32 base64url characters) and checked in constant time, whatever is given', () => {
    const { accounts } = setup();
    const s = accounts.notifySecret('job_1');
    expect(s).toMatch(/^[\w-]{32}$/);
    expect(accounts.notifySecret('job_1')).toBe(s);
    expect(accounts.notifySecret('job_2')).not.toBe(s);
    expect(accounts.checkNotifySecret('job_1', s)).toBe(true);
    expect(accounts.checkNotifySecret('job_2', s)).toBe(false);
    for (const bad of ['', s.slice(1), `${s}x`, s.toUpperCase(), 'x'.repeat(100_000), undefined as unknown as string, 42 as unknown as string]) {
      expect(accounts.checkNotifySecret('job_1', bad)).toBe(false);
    }
    const other = createAccountService({ ...setup(), users: createMemoryUserStore(), revocations: createMemoryRevocationStore(), secret: new Uint8Array(32).fill(9), clock: { now: () => new Date() } });
    expect(other.notifySecret('job_1')).not.toBe(s);
  });
});

describe('bootstrapAdmin', () => {
  test('creates admin only while there is no user at all', async () => {
    const { accounts } = setup();
    expect(await accounts.bootstrapAdmin('first admin password')).toMatchObject({ id: 1, username: 'admin', role: 'admin' });
    expect(await accounts.bootstrapAdmin('another password')).toBeUndefined();
    expect((await accounts.authenticate('admin', 'first admin password')).ok).toBe(true);
    const fresh = setup();
    await fresh.accounts.createUser({ username: 'ada', password: 'correct horse' });
    expect(await fresh.accounts.bootstrapAdmin('first admin password')).toBeUndefined();
    expect(await fresh.accounts.getByUsername('admin')).toBeUndefined();
    await expect(setup().accounts.bootstrapAdmin('short')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  test('the service refuses a short secret or a bad ttl', () => {
    const { users, revocations } = setup();
    expect(() => createAccountService({ users, revocations, secret: new Uint8Array(31), clock: { now: () => new Date() } })).toThrow(/32 bytes/);
    expect(() => createAccountService({ users, revocations, secret, clock: { now: () => new Date() }, tokenTtlS: 0 })).toThrow(/tokenTtlS/);
  });
});
