import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { describeAnnotationStoreContract } from '../../../test/support/contracts/annotation-store.contract.js';
import { describeBlobStoreContract } from '../../../test/support/contracts/blob-store.contract.js';
import { describeDatasetStoreContract } from '../../../test/support/contracts/dataset-store.contract.js';
import { createFsBlobStore } from '../fs/fs-blob-store.js';
import { createSqliteAnnotationStore } from '../sqlite/sqlite-annotation-store.js';
import { openSqliteDatabase, type SqliteDatabase } from '../sqlite/sqlite-database.js';
import { createSqliteDatasetStore } from '../sqlite/sqlite-dataset-store.js';

const dirs: string[] = [];
const databases: SqliteDatabase[] = [];
const tempDir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'yoloops-stores-'));
  dirs.push(dir);
  return dir;
};
/** A fresh database file per test, as in production (WAL, FULL sync, migrations). */
const database = () => {
  const db = openSqliteDatabase(path.join(tempDir(), 'nested', 'yoloops.db'));
  databases.push(db);
  return db;
};

afterAll(() => {
  for (const db of databases) db.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describeBlobStoreContract('fs', () => createFsBlobStore(path.join(tempDir(), 'blobs')));
describeDatasetStoreContract('sqlite', () => createSqliteDatasetStore(database()));
describeAnnotationStoreContract('sqlite', () => createSqliteAnnotationStore(database()));
