import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createNodePlatform } from './create-node-platform.js';
import { KNOWN_DEFAULT_SECRETS, loadOrCreateJwtSecret } from './jwt-secret.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'yoloops-secret-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const mode = (p: string) => statSync(p).mode & 0o777;

describe('loadOrCreateJwtSecret', () => {
  test('makes 32 random bytes in secrets/jwt-secret (0600 in a 0700 folder) and reuses them on every later open', async () => {
    const first = await loadOrCreateJwtSecret(dir);
    expect(first.byteLength).toBe(32);
    const file = path.join(dir, 'secrets', 'jwt-secret');
    expect(mode(file)).toBe(0o600);
    expect(mode(path.dirname(file))).toBe(0o700);
    expect(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64url')).toEqual(Buffer.from(first));
    expect(await loadOrCreateJwtSecret(dir)).toEqual(first);
    expect(readdirSync(path.dirname(file))).toEqual(['jwt-secret']);
    const elsewhere = mkdtempSync(path.join(tmpdir(), 'yoloops-secret-'));
    expect(Buffer.from(await loadOrCreateJwtSecret(elsewhere)).equals(Buffer.from(first))).toBe(false);
    rmSync(elsewhere, { recursive: true });
  });

  test('opens racing for the first secret all get the same one', async () => {
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateJwtSecret(dir)));
    for (const key of keys) expect(key).toEqual(keys[0]);
    expect(readdirSync(path.join(dir, 'secrets'))).toEqual(['jwt-secret']);
  });

  test('tightens a secret file and folder that others could read', async () => {
    await loadOrCreateJwtSecret(dir);
    const file = path.join(dir, 'secrets', 'jwt-secret');
    chmodSync(file, 0o644);
    chmodSync(path.dirname(file), 0o755);
    await loadOrCreateJwtSecret(dir);
    expect([mode(file), mode(path.dirname(file))]).toEqual([0o600, 0o700]);
  });

  test('refuses a secret file too short to be one, naming it', async () => {
    await loadOrCreateJwtSecret(dir);
    writeFileSync(path.join(dir, 'secrets', 'jwt-secret'), 'abc\n');
    await expect(loadOrCreateJwtSecret(dir)).rejects.toThrow(/jwt-secret holds no usable secret/);
  });

  test('a given YOLOOPS_JWT_SECRET of 32 bytes or more is used as is and no file is written', async () => {
    const given = 'z'.repeat(32);
    expect(Buffer.from(await loadOrCreateJwtSecret(dir, given)).toString()).toBe(given);
    expect(readdirSync(dir)).toEqual([]);
  });

  test.each([...KNOWN_DEFAULT_SECRETS, 'Your-Super-Secret-JWT-Key-Change-In-Production', 'short', 'x'.repeat(31), 'é'.repeat(15)])('refuses the weak secret %j naming YOLOOPS_JWT_SECRET', async (weak) => {
    await expect(loadOrCreateJwtSecret(dir, weak)).rejects.toMatchObject({ code: 'INVALID_INPUT', reason: 'weak_jwt_secret', message: expect.stringContaining('YOLOOPS_JWT_SECRET') });
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('createNodePlatform accounts', () => {
  test('platform.accounts issues tokens another open of the same data dir accepts; adminPassword bootstraps admin', async () => {
    const options = { dataDir: dir, accounts: { adminPassword: 'first admin pw', passwordCost: { N: 1024, r: 8, p: 1 } }, jobs: { watchdogMs: 60_000 } };
    const first = await createNodePlatform(options);
    const login = await first.accounts.authenticate('admin', 'first admin pw');
    expect(login).toMatchObject({ ok: true, user: { username: 'admin', role: 'admin' } });
    const { token } = await first.accounts.issueToken(login.ok ? login.user : { id: 0 });
    first.close();
    const second = await createNodePlatform(options);
    expect(await second.accounts.verify(token)).toMatchObject({ kind: 'user', user: { username: 'admin' } });
    second.close();
  });

  test('a weak jwtSecret stops the start with the variable named', async () => {
    await expect(createNodePlatform({ dataDir: dir, accounts: { jwtSecret: 'changeme' } })).rejects.toThrow(/YOLOOPS_JWT_SECRET/);
  });
});
