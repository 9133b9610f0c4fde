import { afterAll, beforeAll } from 'vitest';
import { describeInstructionDatasetStoreContract } from '../../../test/support/contracts/instruction-dataset-store.contract.js';
import { openPgliteDatabase } from './pglite-database.js';
import type { PostgresDatabase } from './postgres-database.js';
import { createPostgresInstructionDatasetStore } from './postgres-instruction-dataset-store.js';

// One in-memory PGlite for the file (starting one takes about a second); each test starts from empty tables.
let db: PostgresDatabase;
beforeAll(async () => {
  db = await openPgliteDatabase();
});
afterAll(async () => {
  await db.close();
});

describeInstructionDatasetStoreContract('pglite', async () => {
  await db.query('TRUNCATE instruction_datasets RESTART IDENTITY');
  return createPostgresInstructionDatasetStore(db);
});
