import { afterAll, beforeAll } from 'vitest';
import { describeResourceIndexContract } from '../../../test/support/contracts/resource-index.contract.js';
import { openPgliteDatabase } from './pglite-database.js';
import type { PostgresDatabase } from './postgres-database.js';
import { createPostgresResourceIndex } from './postgres-resource-index.js';

// One in-memory PGlite for the file (starting one takes about a second); each test starts from empty tables.
let db: PostgresDatabase;
beforeAll(async () => {
  db = await openPgliteDatabase();
});
afterAll(async () => {
  await db.close();
});

describeResourceIndexContract('pglite', async () => {
  await db.query('TRUNCATE resources, resource_counters RESTART IDENTITY');
  return createPostgresResourceIndex(db);
});
