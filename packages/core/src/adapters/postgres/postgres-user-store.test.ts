import { afterAll, beforeAll } from 'vitest';
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
