import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { describeProjectStoreContract } from '../../../test/support/contracts/project-store.contract.js';
import { describeResourceIndexContract } from '../../../test/support/contracts/resource-index.contract.js';
import { openSqliteDatabase } from './sqlite-database.js';
import { createSqliteProjectStore } from './sqlite-project-store.js';
import { createSqliteResourceIndex } from './sqlite-resource-index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'yoloops-catalog-'));
let n = 0;
const file = () => path.join(dir, `c${(n += 1)}.db`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeResourceIndexContract('sqlite', () => createSqliteResourceIndex(openSqliteDatabase(file())));
describeProjectStoreContract('sqlite', () => createSqliteProjectStore(openSqliteDatabase(file())));

test('two connections to one file share numbers and never hand one out twice', async () => {
  const f = file();
  const [a, b] = [createSqliteResourceIndex(openSqliteDatabase(f)), createSqliteResourceIndex(openSqliteDatabase(f))];
  const entries = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).ensure('dataset', `ds_${i}`)));
  expect(entries.map((e) => e.number).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  expect(await a.ensure('dataset', 'ds_3')).toEqual(await b.get('dataset', 'ds_3'));
  await b.remove('dataset', 'ds_9');
  expect((await a.ensure('dataset', 'ds_new')).number).toBe(11);
});

test('numbers and project ids survive reopening the file', async () => {
  const f = file();
  const first = openSqliteDatabase(f);
  await createSqliteResourceIndex(first).ensure('model', 'm1', { meta: { a: 1 } });
  const p = await createSqliteProjectStore(first).create({ name: 'a', owner_id: 1 });
  await createSqliteProjectStore(first).delete(p.id);
  first.close();
  const again = openSqliteDatabase(f);
  expect(await createSqliteResourceIndex(again).get('model', 'm1')).toMatchObject({ number: 1, meta: { a: 1 } });
  expect((await createSqliteProjectStore(again).create({ name: 'b', owner_id: 1 })).id).toBe(2);
});
