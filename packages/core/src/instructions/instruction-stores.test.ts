import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { createMemoryInstructionDatasetStore } from '../adapters/memory/memory-instruction-dataset-store.js';
import { createMemoryProcessingTaskStore } from '../adapters/memory/memory-processing-task-store.js';
import { openSqliteDatabase, type SqliteDatabase } from '../adapters/sqlite/sqlite-database.js';
import { createSqliteInstructionDatasetStore } from '../adapters/sqlite/sqlite-instruction-dataset-store.js';
import { createSqliteProcessingTaskStore } from '../adapters/sqlite/sqlite-processing-task-store.js';
import { describeInstructionDatasetStoreContract } from '../../test/support/contracts/instruction-dataset-store.contract.js';
import { describeProcessingTaskStoreContract } from '../../test/support/contracts/processing-task-store.contract.js';

const dirs: string[] = [];
const databases: SqliteDatabase[] = [];
/** A fresh database file per test in a temp dir, as in production (WAL, FULL sync, migrations). */
const database = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'yoloops-instructions-'));
  dirs.push(dir);
  const db = openSqliteDatabase(path.join(dir, 'yoloops.db'));
  databases.push(db);
  return db;
};

afterAll(() => {
  for (const db of databases) db.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describeInstructionDatasetStoreContract('memory', () => createMemoryInstructionDatasetStore());
describeInstructionDatasetStoreContract('sqlite', () => createSqliteInstructionDatasetStore(database()));
describeProcessingTaskStoreContract('memory', () => createMemoryProcessingTaskStore());
describeProcessingTaskStoreContract('sqlite', () => createSqliteProcessingTaskStore(database()));
