import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { describeJobStoreContract } from '../../../test/support/contracts/job-store.contract.js';
import { describeMetricStoreContract } from '../../../test/support/contracts/metric-store.contract.js';
import { openSqliteDatabase, type SqliteDatabase } from './sqlite-database.js';
import { createSqliteJobStore } from './sqlite-job-store.js';
import { createSqliteMetricStore } from './sqlite-metric-store.js';

const dir = mkdtempSync(path.join(tmpdir(), 'yoloops-job-stores-'));
const databases: SqliteDatabase[] = [];
/** A fresh database file per test, as in production (WAL, FULL sync, migrations). */
const database = () => {
  const db = openSqliteDatabase(path.join(dir, `${databases.length}.db`));
  databases.push(db);
  return db;
};

afterAll(() => {
  for (const db of databases) db.close();
  rmSync(dir, { recursive: true, force: true });
});

describeJobStoreContract('sqlite', () => createSqliteJobStore(database()));
describeMetricStoreContract('sqlite', () => createSqliteMetricStore(database()));
