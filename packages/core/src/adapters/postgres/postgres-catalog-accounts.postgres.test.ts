import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { NewUser } from '../../accounts/user-store.port.js';
import { openAccounts } from '../node/open-accounts.js';
import { openSqliteDatabase } from '../sqlite/sqlite-database.js';
import type { ProcessingTask } from '../../instructions/instruction.schema.js';
import { fromPgPool, type PostgresDatabase } from './postgres-database.js';
import { createPostgresInstructionDatasetStore } from './postgres-instruction-dataset-store.js';
import { migratePostgresDatabase } from './postgres-migrations.js';
import { createPostgresProcessingTaskStore } from './postgres-processing-task-store.js';
import { createPostgresProjectStore } from './postgres-project-store.js';
import { createPostgresResourceIndex } from './postgres-resource-index.js';
import { createPostgresRevocationStore } from './postgres-revocation-store.js';
import { createPostgresUserStore } from './postgres-user-store.js';

// Two pools on one real server stand for two yoloops servers; PGlite (one connection) cannot show these races.
const url = process.env.YOLOOPS_TEST_POSTGRES_URL;
if (url === undefined || url === '') throw new Error('YOLOOPS_TEST_POSTGRES_URL is not set: point it at a PostgreSQL server (npm run test:postgres)');
const schema = `h2_${randomBytes(6).toString('hex')}`;
const pools: pg.Pool[] = [];
const open = (): PostgresDatabase => {
  const pool = new pg.Pool({ connectionString: url, max: 5, options: `-c search_path=${schema}` });
  pools.push(pool);
  return fromPgPool(pool);
};
let a: PostgresDatabase;
let b: PostgresDatabase;
/** Spreads `n` calls over both servers at once. */
const both = <T>(n: number, call: (db: PostgresDatabase, i: number) => Promise<T>) => Promise.allSettled(Array.from({ length: n }, (_, i) => call(i % 2 === 0 ? a : b, i)));
const values = <T>(settled: PromiseSettledResult<T>[]) => settled.map((s) => (s.status === 'fulfilled' ? s.value : undefined));

beforeAll(async () => {
  const admin = new pg.Pool({ connectionString: url, max: 1 });
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  [a, b] = [open(), open()];
  await Promise.all([migratePostgresDatabase(a), migratePostgresDatabase(b)]);
});
afterAll(async () => {
  await a?.query(`DROP SCHEMA ${schema} CASCADE`);
  await Promise.all(pools.map((pool) => pool.end()));
});
beforeEach(async () => {
  await a.query('TRUNCATE resources, resource_counters, projects, users, revoked_tokens, processing_tasks, instruction_datasets RESTART IDENTITY');
});

describe('postgres: catalog and account stores shared by two servers', () => {
  test('ensures racing on two servers make one entry per id and numbers without gaps or repeats', async () => {
    const same = values(await both(12, (db) => createPostgresResourceIndex(db).ensure('job', 'job_x')));
    expect(new Set(same.map((e) => e?.number))).toEqual(new Set([1]));
    const many = values(await both(30, (db, i) => createPostgresResourceIndex(db).ensure('job', `job_${i}`)));
    expect(many.map((e) => e?.number).sort((x, y) => x! - y!)).toEqual(Array.from({ length: 30 }, (_, i) => i + 2));
    const updates = await both(10, (db, i) => createPostgresResourceIndex(db).update('job', 'job_x', { meta: { [`k${i}`]: i } }));
    expect(updates.every((u) => u.status === 'fulfilled')).toBe(true);
    expect(Object.keys((await createPostgresResourceIndex(a).get('job', 'job_x'))!.meta).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `k${i}`).sort());
  });

  test('one of many servers creating one username (in any case) wins; token bumps from both all count', async () => {
    const user = (username: string): NewUser => ({ username, email: null, role: 'admin', password_hash: 'scrypt$x' });
    const created = await both(10, (db, i) => createPostgresUserStore(db).create(user(i % 2 === 0 ? 'admin' : 'ADMIN')));
    expect(created.filter((c) => c.status === 'fulfilled')).toHaveLength(1);
    for (const c of created) if (c.status === 'rejected') expect(c.reason).toMatchObject({ code: 'CONFLICT', reason: 'username_taken' });
    expect(await createPostgresUserStore(b).count()).toBe(1);
    const id = (await createPostgresUserStore(a).getByUsername('Admin'))!.id;
    await both(10, (db) => createPostgresUserStore(db).update(id, { bumpTokenVersion: true }));
    expect((await createPostgresUserStore(b).get(id))?.token_version).toBe(10);
  });

  test('projects created on two servers at once get distinct ids; updates of different fields both land', async () => {
    const made = values(await both(20, (db, i) => createPostgresProjectStore(db).create({ name: `p${i}`, owner_id: null })));
    expect(new Set(made.map((p) => p?.id)).size).toBe(20);
    await Promise.all([createPostgresProjectStore(a).update(1, { name: 'renamed' }), createPostgresProjectStore(b).update(1, { description: 'described' })]);
    expect(await createPostgresProjectStore(a).get(1)).toMatchObject({ name: 'renamed', description: 'described' });
  });

  test('processing tasks and instruction datasets patched from two servers keep every patch', async () => {
    const task: ProcessingTask = {
      task_id: 'task_1', kind: 'dataset_process', dataset_id: 'ids_a', output_name: 'out', status: 'running', progress: 0,
      created_at: '2024-01-15T12:00:00.000Z', updated_at: '2024-01-15T12:00:00.000Z', owner_id: null,
    };
    await createPostgresProcessingTaskStore(a).create(task);
    const patches: Partial<ProcessingTask>[] = [{ progress: 50 }, { error: 'e' }, { status: 'failed' }, { output_name: 'o2' }, { finished_at: 'F' }, { owner_id: 4 }];
    await both(6, (db, i) => createPostgresProcessingTaskStore(db).update('task_1', patches[i]!));
    expect(await createPostgresProcessingTaskStore(b).get('task_1')).toMatchObject({ progress: 50, error: 'e', status: 'failed', output_name: 'o2', finished_at: 'F', owner_id: 4 });
    const datasets = createPostgresInstructionDatasetStore(a);
    await datasets.create({
      id: 'ids_a', name: 'n', description: '', filename: 'a.jsonl', file_format: 'jsonl', record_format: 'alpaca', samples_count: 1, size_bytes: 1, size_mb: 0,
      sha256: 'ab'.repeat(32), blob_key: 'k', path: '/p', created_at: '2024-01-15T12:00:00.000Z', owner_id: null,
      report: { records_total: 1, records_valid: 1, records_invalid: 0, duplicates: 0, formats: { alpaca: 1 }, issue_counts: {}, issues_truncated: 0 }, processed: [],
    });
    await both(4, (db, i) => createPostgresInstructionDatasetStore(db).update('ids_a', [{ name: 'N' }, { description: 'D' }, { owner_id: 3 }, { samples_count: 9 }][i]!));
    expect(await datasets.get('ids_a')).toMatchObject({ name: 'N', description: 'D', owner_id: 3, samples_count: 9 });
  });

  test('a digest revoked on two servers at once keeps the later expiry', async () => {
    await both(10, (db, i) => createPostgresRevocationStore(db).add('d'.repeat(64), 1_000 + i));
    expect(await createPostgresRevocationStore(b).prune(1_008)).toBe(0);
    expect(await createPostgresRevocationStore(a).prune(1_010)).toBe(1);
  });

  test('accounts on two servers: one bootstrapped admin, and a token revoked or a user disabled on one is refused by the other', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'yoloops-pg-accounts-'));
    const sqlite = openSqliteDatabase(path.join(dir, 'unused.db'));
    try {
      const common = { db: sqlite, dataDir: dir, jwtSecret: randomBytes(32).toString('hex'), passwordCost: { N: 2 ** 10, r: 8, p: 1 }, adminPassword: 'first admin pw' };
      const account = (db: PostgresDatabase) => openAccounts({ ...common, stores: { users: createPostgresUserStore(db), revocations: createPostgresRevocationStore(db) } });
      const [onA, onB] = await Promise.all([account(a), account(b)]);
      expect((await onB.list()).map((u) => [u.id, u.username, u.role])).toEqual([[1, 'admin', 'admin']]);
      const ada = await onA.createUser({ username: 'Ada', password: 'correct horse' });
      const [revoked, kept] = [(await onA.issueToken(ada)).token, (await onA.issueToken(ada)).token];
      expect((await onB.verify(revoked)).kind).toBe('user');
      await onA.revoke(revoked);
      await expect(onB.verify(revoked)).rejects.toMatchObject({ reason: 'revoked' });
      await onB.setActive(ada.id, false);
      await expect(onA.verify(kept)).rejects.toMatchObject({ reason: 'inactive' });
      expect(sqlite.prepare('SELECT count(*) FROM users').pluck().get()).toBe(0);
    } finally {
      sqlite.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
