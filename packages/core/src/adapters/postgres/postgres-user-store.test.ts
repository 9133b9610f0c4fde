import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { describeUserStoreContract } from '../../../test/support/contracts/user-store.contract.js';
import { openPgliteDatabase } from './pglite-database.js';
import type { PostgresDatabase } from './postgres-database.js';
import { createPostgresUserStore } from './postgres-user-store.js';

// One in-memory PGlite for the file (starting one takes about a second); each test starts from empty tables.
let db: PostgresDatabase;
beforeAll(async () => {
  db = await openPgliteDatabase();
});
afterAll(async () => {
  await db.close();
});

describeUserStoreContract('pglite', async () => {
  await db.query('TRUNCATE users RESTART IDENTITY');
  return createPostgresUserStore(db);
});

describe('pglite: the users table itself', () => {
  const insert = (username: string, role = 'member') =>
    db.query("INSERT INTO users (username, email, role, is_active, password_hash, token_version, created_at, updated_at) VALUES ($1, NULL, $2, true, 'h', 0, 'now', 'now')", [username, role]);

  test('refuses a second spelling of a username past the store, folding ASCII letters only (as SQLite NOCASE)', async () => {
    await db.query('TRUNCATE users RESTART IDENTITY');
    await insert('Ada');
    await expect(insert('aDA')).rejects.toMatchObject({ code: '23505' });
    await insert('émile');
    await insert('Émile');
    const store = createPostgresUserStore(db);
    expect((await store.getByUsername('ÉMILE'))?.username).toBe('Émile');
    expect((await store.getByUsername('éMILE'))?.username).toBe('émile');
    await expect(insert('root', 'root')).rejects.toMatchObject({ code: '23514' });
  });

  test('a refused username draws no id, so the next user gets the next number', async () => {
    await db.query('TRUNCATE users RESTART IDENTITY');
    const store = createPostgresUserStore(db);
    const user = (username: string) => ({ username, email: null, role: 'member' as const, password_hash: 'scrypt$x' });
    await store.create(user('ada'));
    await expect(store.create(user('ADA'))).rejects.toMatchObject({ code: 'CONFLICT', reason: 'username_taken' });
    expect((await store.create(user('bob'))).id).toBe(2);
  });

  test('an id outside the integer column matches no user instead of failing', async () => {
    const store = createPostgresUserStore(db);
    expect(await store.get(2 ** 40)).toBeUndefined();
    expect(await store.get(1.5)).toBeUndefined();
    expect(await store.update(2 ** 40, { role: 'admin' })).toBeUndefined();
  });
});
