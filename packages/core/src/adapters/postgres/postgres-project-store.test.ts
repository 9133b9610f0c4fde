import { afterAll, beforeAll } from 'vitest';
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
