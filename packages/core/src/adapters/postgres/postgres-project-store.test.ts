import { afterAll, beforeAll, expect, test } from 'vitest';
import { describeProjectStoreContract } from '../../../test/support/contracts/project-store.contract.js';
import { openPgliteDatabase } from './pglite-database.js';
import type { PostgresDatabase } from './postgres-database.js';
import { createPostgresProjectStore } from './postgres-project-store.js';

// One in-memory PGlite for the file (starting one takes about a second); each test starts from empty tables.
let db: PostgresDatabase;
beforeAll(async () => {
  db = await openPgliteDatabase();
});
afterAll(async () => {
  await db.close();
});

describeProjectStoreContract('pglite', async () => {
  await db.query('TRUNCATE projects RESTART IDENTITY');
  return createPostgresProjectStore(db);
});

test('pglite: an id or owner outside the integer column matches no project instead of failing', async () => {
  await db.query('TRUNCATE projects RESTART IDENTITY');
  const store = createPostgresProjectStore(db);
  await store.create({ name: 'a', owner_id: 1 });
  expect(await store.get(2 ** 40)).toBeUndefined();
  expect(await store.get(0.5)).toBeUndefined();
  expect(await store.update(2 ** 40, { name: 'b' })).toBeUndefined();
  expect(await store.delete(2 ** 40)).toBe(false);
  expect(await store.list({ owner_id: 2 ** 40, skip: 0, limit: 10 })).toEqual({ total: 0, projects: [] });
  expect((await store.list({ skip: 0, limit: 10 })).total).toBe(1);
});
