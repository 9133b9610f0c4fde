import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { describeSettingsStoreContract } from '../../../test/support/contracts/settings-store.contract.js';
import { openPgliteDatabase } from './pglite-database.js';
import type { PostgresDatabase } from './postgres-database.js';
import { createPostgresSettingsStore } from './postgres-settings-store.js';

// One in-memory PGlite for the file; each test starts from an empty table.
let db: PostgresDatabase;
beforeAll(async () => {
  db = await openPgliteDatabase();
});
afterAll(async () => {
  await db.close();
});

describeSettingsStoreContract('pglite', async () => {
  await db.query('TRUNCATE settings');
  return createPostgresSettingsStore(db);
});

describe('pglite: postgres SettingsStore', () => {
  test('keeps the value text as written and stamps updated_at from the clock', async () => {
    await db.query('TRUNCATE settings');
    const store = createPostgresSettingsStore(db, { now: () => new Date('2024-01-15T12:00:00.000Z') });
    await store.set('k', { b: 1, a: [0.1, 'x\u0000y'] });
    expect((await db.query('SELECT value, updated_at FROM settings')).rows).toEqual([
      { value: '{"b":1,"a":[0.1,"x\\u0000y"]}', updated_at: '2024-01-15T12:00:00.000Z' },
    ]);
    expect(Object.keys((await store.get('k')) as object)).toEqual(['b', 'a']);
  });
});
