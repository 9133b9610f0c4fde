import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, expect, test } from 'vitest';
import { describeRevocationStoreContract } from '../../../test/support/contracts/revocation-store.contract.js';
import { describeUserStoreContract } from '../../../test/support/contracts/user-store.contract.js';
import { openAccounts } from '../node/open-accounts.js';
import { openSqliteDatabase } from './sqlite-database.js';
import { createSqliteRevocationStore } from './sqlite-revocation-store.js';
import { createSqliteUserStore } from './sqlite-user-store.js';

const dir = mkdtempSync(path.join(tmpdir(), 'yoloops-accounts-'));
let n = 0;
const file = () => path.join(dir, `a${(n += 1)}.db`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cheap = { N: 2 ** 10, r: 8, p: 1 };

describeUserStoreContract('sqlite', () => createSqliteUserStore(openSqliteDatabase(file())));
describeRevocationStoreContract('sqlite', () => createSqliteRevocationStore(openSqliteDatabase(file())));

test('users, token versions and revocations survive reopening; the table holds jti digests, never jtis', async () => {
  const f = file();
  const dataDir = path.join(dir, `data${n}`);
  const db = openSqliteDatabase(f);
  const accounts = await openAccounts({ db, dataDir, passwordCost: cheap });
  const ada = await accounts.createUser({ username: 'Ada', password: 'correct horse', email: 'ada@example.org' });
  const { token } = await accounts.issueToken(ada);
  const kept = (await accounts.issueToken(ada)).token;
  await accounts.revoke(token);
  db.close();

  const again = openSqliteDatabase(f);
  const reopened = await openAccounts({ db: again, dataDir, passwordCost: cheap });
  expect(await reopened.getByUsername('ADA')).toEqual(ada);
  expect((await reopened.authenticate('ada', 'correct horse')).ok).toBe(true);
  await expect(reopened.verify(token)).rejects.toMatchObject({ reason: 'revoked' });
  expect((await reopened.verify(kept)).kind).toBe('user');
  const jti = decodeJwt(token).jti!;
  const rows = again.prepare<[], { jti_sha256: string; expires_at: number }>('SELECT * FROM revoked_tokens').all();
  expect(rows).toEqual([{ jti_sha256: createHash('sha256').update(jti).digest('hex'), expires_at: decodeJwt(token).exp }]);
  const raw = JSON.stringify(again.prepare('SELECT * FROM users').all());
  expect(raw).not.toContain('correct horse');
  again.prepare('INSERT INTO revoked_tokens VALUES (?, ?)').run('f'.repeat(64), 1_000);
  await openAccounts({ db: again, dataDir, passwordCost: cheap });
  expect(again.prepare('SELECT count(*) FROM revoked_tokens').pluck().get()).toBe(1);
  await reopened.setActive(ada.id, false);
  expect(again.prepare('SELECT is_active, token_version FROM users').get()).toEqual({ is_active: 0, token_version: 1 });
  again.close();
});

test('the database refuses a second spelling of a username even past the store (COLLATE NOCASE)', () => {
  const db = openSqliteDatabase(file());
  const insert = db.prepare("INSERT INTO users (username, email, role, is_active, password_hash, token_version, created_at, updated_at) VALUES (?, NULL, 'member', 1, 'h', 0, 'now', 'now')");
  insert.run('Ada');
  expect(() => insert.run('aDA')).toThrow(/UNIQUE/);
  expect(() => db.prepare("UPDATE users SET role = 'root'").run()).toThrow(/CHECK/);
  db.close();
});

test('adminPassword creates admin on the first open only, and one admin even when two processes race', async () => {
  const f = file();
  const dataDir = path.join(dir, `data${n}`);
  const [a, b] = [openSqliteDatabase(f), openSqliteDatabase(f)];
  await Promise.all([
    openAccounts({ db: a, dataDir, passwordCost: cheap, adminPassword: 'first admin pw' }),
    openAccounts({ db: b, dataDir, passwordCost: cheap, adminPassword: 'first admin pw' }),
  ]);
  const accounts = await openAccounts({ db: a, dataDir, passwordCost: cheap, adminPassword: 'changed later' });
  expect((await accounts.list()).map((u) => [u.username, u.role])).toEqual([['admin', 'admin']]);
  expect((await accounts.authenticate('admin', 'first admin pw')).ok).toBe(true);
  expect((await accounts.authenticate('admin', 'changed later')).ok).toBe(false);
  a.close();
  b.close();
});
