import { afterAll, beforeAll } from 'vitest';
import { describeServerInstanceStoreContract } from '../../../test/support/contracts/server-instance-store.contract.js';
import { openPgliteDatabase } from './pglite-database.js';
import type { PostgresDatabase } from './postgres-database.js';
import { createPostgresServerInstanceStore } from './postgres-server-instance-store.js';

let db: PostgresDatabase;
beforeAll(async () => {
  db = await openPgliteDatabase();
});
afterAll(async () => {
  await db.close();
});

describeServerInstanceStoreContract('pglite', async () => {
  await db.query('TRUNCATE server_instances');
  return createPostgresServerInstanceStore(db);
});
