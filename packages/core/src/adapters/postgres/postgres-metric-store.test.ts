import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { describeMetricStoreContract } from '../../../test/support/contracts/metric-store.contract.js';
import { openPgliteDatabase } from './pglite-database.js';
import type { PostgresDatabase } from './postgres-database.js';
import { distinctRuns } from './postgres-metric-group-commit.js';
import { createPostgresMetricStore } from './postgres-metric-store.js';

// One in-memory PGlite for the file; each test starts from empty tables.
let db: PostgresDatabase;
beforeAll(async () => {
  db = await openPgliteDatabase();
});
afterAll(async () => {
  await db.close();
});
const empty = () => db.query('TRUNCATE training_epoch_metrics, training_step_metrics');

describeMetricStoreContract('pglite', async () => {
  await empty();
  return createPostgresMetricStore(db);
});

/** The real database, with every statement it is sent written down. */
const recording = (statements: string[]): PostgresDatabase => ({
  ...db,
  query: (text, params) => {
    statements.push(text);
    return db.query(text, params);
  },
});
const inserts = (statements: string[]) => statements.filter((s) => s.includes('INSERT INTO training_')).length;

describe('pglite: postgres MetricStore group commit', () => {
  beforeEach(empty);
  const meta = (attempt: number, n = 0) => ({ attempt, recorded_at: `T${n}` });

  test('upserts issued in one turn go out as one statement, each call getting its own result', async () => {
    const statements: string[] = [];
    const store = createPostgresMetricStore(recording(statements));
    await store.upsertEpoch('job_1', 3, { loss: 1 }, meta(5));
    statements.length = 0;
    const results = await Promise.all(Array.from({ length: 20 }, (_, epoch) => store.upsertEpoch('job_1', epoch, { loss: epoch }, meta(epoch === 3 ? 4 : 5))));
    expect(inserts(statements)).toBe(1);
    expect(results).toEqual(Array.from({ length: 20 }, (_, epoch) => epoch !== 3));
    const rows = await store.listEpochs('job_1');
    expect(rows.map((r) => [r.epoch, r.metrics.loss])).toEqual(Array.from({ length: 20 }, (_, e) => [e, e === 3 ? 1 : e]));
  });

  test('one key repeated in a turn resolves as if the calls ran one by one, in call order', async () => {
    const grouped = createPostgresMetricStore(db);
    const attempts = [2, 1, 2, 3, 1, 3];
    const results = await Promise.all(attempts.map((attempt, n) => grouped.upsertStep('job_g', 7, { loss: n }, meta(attempt, n))));
    const oneByOne: boolean[] = [];
    for (const [n, attempt] of attempts.entries()) oneByOne.push(await grouped.upsertStep('job_s', 7, { loss: n }, meta(attempt, n)));
    expect(results).toEqual([true, false, true, true, false, true]);
    expect(results).toEqual(oneByOne);
    const [row] = await grouped.listSteps('job_g');
    expect(row).toStrictEqual({ step: 7, values: { loss: 5 }, attempt: 3, recorded_at: 'T5' });
  });

  test('a row PostgreSQL refuses fails only its own call, not the ones grouped with it', async () => {
    const store = createPostgresMetricStore(db);
    const settled = await Promise.allSettled([
      store.upsertEpoch('job_1', 1, { loss: 1 }, meta(1)),
      store.upsertEpoch('job\u0000bad', 1, { loss: 1 }, meta(1)),
      store.upsertEpoch('job_2', 1, { loss: 2 }, meta(1)),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await store.listEpochs('job_2')).map((r) => r.metrics)).toEqual([{ loss: 2 }]);
  });

  test('attempts beyond 32 bits and fractional range bounds read back as SQLite gives them', async () => {
    const store = createPostgresMetricStore(db);
    await store.upsertEpoch('job_1', 2, { loss: 1 }, meta(2 ** 40));
    expect(await store.upsertEpoch('job_1', 2, { loss: 9 }, meta(2 ** 40 - 1))).toBe(false);
    expect(await store.listEpochs('job_1', { start: 1.5, end: 2.5 })).toStrictEqual([{ epoch: 2, metrics: { loss: 1 }, attempt: 2 ** 40, recorded_at: 'T0' }]);
  });
});

describe('distinctRuns', () => {
  test('puts repeats of a key in later runs, keeping call order within each key', () => {
    expect(distinctRuns(['a1', 'b1', 'a2', 'a3', 'c1', 'b2'], (s) => s[0] ?? '')).toEqual([['a1', 'b1', 'c1'], ['a2', 'b2'], ['a3']]);
    expect(distinctRuns([], (s: string) => s)).toEqual([]);
    expect(distinctRuns(Array.from({ length: 2500 }, (_, i) => i), String).map((run) => run.length)).toEqual([1000, 1000, 500]);
  });
});
