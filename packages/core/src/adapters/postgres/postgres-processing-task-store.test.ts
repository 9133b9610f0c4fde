import { afterAll, beforeAll } from 'vitest';
import { describeProcessingTaskStoreContract } from '../../../test/support/contracts/processing-task-store.contract.js';
import { openPgliteDatabase } from './pglite-database.js';
import type { PostgresDatabase } from './postgres-database.js';
import { createPostgresProcessingTaskStore } from './postgres-processing-task-store.js';

// One in-memory PGlite for the file (starting one takes about a second); each test starts from empty tables.
let db: PostgresDatabase;
beforeAll(async () => {
  db = await openPgliteDatabase();
});
afterAll(async () => {
  await db.close();
});

describeProcessingTaskStoreContract('pglite', async () => {
  await db.query('TRUNCATE processing_tasks RESTART IDENTITY');
  return createPostgresProcessingTaskStore(db);
});
