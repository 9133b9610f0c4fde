import { afterAll, beforeAll, expect, test } from 'vitest';
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

test('pglite: a number, owner or project outside the integer column matches no entry instead of failing', async () => {
  await db.query('TRUNCATE resources, resource_counters RESTART IDENTITY');
  const index = createPostgresResourceIndex(db);
  await index.ensure('dataset', 'd1', { owner_id: 1, project_id: 2 });
  expect(await index.byNumber('dataset', 2 ** 40)).toBeUndefined();
  expect(await index.list('dataset', { owner_id: 2 ** 40 })).toEqual([]);
  expect(await index.list('dataset', { project_id: 1.5 })).toEqual([]);
  await index.detachProject(2 ** 40);
  expect(await index.get('dataset', 'd1')).toMatchObject({ number: 1, project_id: 2 });
});
