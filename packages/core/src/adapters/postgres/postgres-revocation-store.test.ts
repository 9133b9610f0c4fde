import { afterAll, beforeAll } from 'vitest';
import { describeRevocationStoreContract } from '../../../test/support/contracts/revocation-store.contract.js';
import { openPgliteDatabase } from './pglite-database.js';
import type { PostgresDatabase } from './postgres-database.js';
import { createPostgresRevocationStore } from './postgres-revocation-store.js';

// One in-memory PGlite for the file (starting one takes about a second); each test starts from empty tables.
let db: PostgresDatabase;
beforeAll(async () => {
  db = await openPgliteDatabase();
});
afterAll(async () => {
  await db.close();
});

describeRevocationStoreContract('pglite', async () => {
  await db.query('TRUNCATE revoked_tokens RESTART IDENTITY');
  return createPostgresRevocationStore(db);
});
