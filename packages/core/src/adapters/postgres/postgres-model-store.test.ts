import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { Model } from '../../models/model.schema.js';
import { describeModelStoreContract } from '../../../test/support/contracts/model-store.contract.js';
import { openPgliteDatabase } from './pglite-database.js';
import type { PostgresDatabase } from './postgres-database.js';
import { createPostgresModelStore } from './postgres-model-store.js';

// One in-memory PGlite for the file; each test starts from an empty table.
let db: PostgresDatabase;
beforeAll(async () => {
  db = await openPgliteDatabase();
});
afterAll(async () => {
  await db.close();
});

describeModelStoreContract('pglite', async () => {
  await db.query('TRUNCATE models');
  return createPostgresModelStore(db);
});

const llm = (id: string): Model => ({
  model_id: id, task: 'generate', source: 'trained', classes: [], created_at: '2024-01-15T12:00:00.000Z',
  weights: [{ file: 'm.gguf', format: 'gguf', size: 10, sha256: 'ab' }], weights_path: `/data/models/${id}/m.gguf`, file_size: 10, file_size_mb: 0,
} as Model);

describe('pglite: postgres ModelStore usage counters', () => {
  beforeEach(async () => {
    await db.query('TRUNCATE models');
  });

  test('uses counted through two stores ("servers") on one database, racing renames, are all kept', async () => {
    const [a, b] = [createPostgresModelStore(db), createPostgresModelStore(db)];
    await a.create(llm('m1'));
    const at = (i: number) => `2024-01-15T12:${String(i % 60).padStart(2, '0')}:00.000Z`;
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 5 === 0 ? b.update('m1', { name: `n${i}` }) : (i % 2 ? a : b).recordUse('m1', at(i)))));
    const stored = await a.get('m1');
    expect(stored?.usage_count).toBe(32);
    expect(stored?.last_used).toBe(at(39));
    expect(stored?.name).toMatch(/^n\d+$/);
  });

  test('the counters keep their place in the record as the SQLite adapter leaves them', async () => {
    const store = createPostgresModelStore(db);
    await store.create(llm('m1'));
    await store.recordUse('m1', '2024-01-15T13:00:00.000Z');
    const renamed = await store.update('m1', { name: 'x', updated_at: 'U' });
    expect(Object.keys(renamed).slice(-4)).toEqual(['usage_count', 'last_used', 'name', 'updated_at']);
    await store.recordUse('m1', '2024-01-15T14:00:00.000Z');
    const again = await store.get('m1');
    expect(Object.keys(again ?? {})).toEqual(Object.keys(renamed));
    expect(again).toMatchObject({ usage_count: 2, last_used: '2024-01-15T14:00:00.000Z', name: 'x' });
  });

  test('an update that drops the counters clears their columns', async () => {
    const store = createPostgresModelStore(db);
    await store.create({ ...llm('m1'), usage_count: 4, last_used: 'L' });
    expect(await store.get('m1')).toMatchObject({ usage_count: 4, last_used: 'L' });
    const next = await store.update('m1', { usage_count: undefined, last_used: undefined });
    expect(next).not.toHaveProperty('usage_count');
    expect(await store.get('m1')).not.toHaveProperty('last_used');
    expect((await store.recordUse('m1', 'M'))?.usage_count).toBe(1);
  });
});
