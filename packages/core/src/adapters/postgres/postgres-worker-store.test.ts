import { afterAll, beforeAll } from 'vitest';
import { describeWorkerStoreContract } from '../../../test/support/contracts/worker-store.contract.js';
import { openPgliteDatabase } from './pglite-database.js';
import type { PostgresDatabase } from './postgres-database.js';
import { createPostgresWorkerStore } from './postgres-worker-store.js';

let db: PostgresDatabase;
beforeAll(async () => {
  db = await openPgliteDatabase();
});
afterAll(async () => {
  await db.close();
});

describeWorkerStoreContract('pglite', async () => {
  await db.query('TRUNCATE workers');
  return createPostgresWorkerStore(db);
});
