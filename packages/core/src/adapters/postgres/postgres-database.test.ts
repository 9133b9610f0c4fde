import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { openPgliteDatabase } from './pglite-database.js';
import { openPostgresDatabase } from './postgres-database.js';
import { createPostgresJobStore } from './postgres-job-store.js';
import { migratePostgresDatabase, POSTGRES_MIGRATIONS } from './postgres-migrations.js';

const dir = mkdtempSync(path.join(tmpdir(), 'yoloops-pglite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const versions = async (db: Awaited<ReturnType<typeof openPgliteDatabase>>) =>
  (await db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).rows.map((r) => r.version);

describe('openPgliteDatabase and migratePostgresDatabase', () => {
  test('a PGlite directory keeps its jobs across a reopen and applies each migration once', async () => {
    const file = path.join(dir, 'reopen');
    const first = await openPgliteDatabase(file);
    await createPostgresJobStore(first).create({
      job_id: 'job_1', dataset_id: 'ds_1', version: 'v1', model_name: 'm', base_model_id: null, original_model_path: 'm',
      epochs: 1, imgsz: 640, batch: -1, status: 'queued', created_at: '2024-01-15T12:00:00.000Z', log_file: '/l', run_dir: '/r', attempt: 1, command: [],
    });
    await first.close();
    const again = await openPgliteDatabase(file);
    await migratePostgresDatabase(again);
    expect(await versions(again)).toEqual(POSTGRES_MIGRATIONS.map((_, i) => i + 1));
    expect((await createPostgresJobStore(again).get('job_1'))?.status).toBe('queued');
    await again.close();
  });

  test('a database with a newer schema than this build is refused with UNSUPPORTED', async () => {
    const file = path.join(dir, 'newer');
    const db = await openPgliteDatabase(file);
    await db.query('INSERT INTO schema_migrations (version) VALUES ($1)', [POSTGRES_MIGRATIONS.length + 5]);
    await db.close();
    await expect(openPgliteDatabase(file)).rejects.toMatchObject({ code: 'UNSUPPORTED', message: expect.stringContaining(`schema version ${POSTGRES_MIGRATIONS.length + 5}`) });
  });

  test('a failing migration rolls back every statement of the run', async () => {
    const db = await openPgliteDatabase();
    const broken = [...POSTGRES_MIGRATIONS, ['CREATE TABLE half_done (a integer)'], ['SELECT FROM nowhere_at_all']];
    await expect(migratePostgresDatabase(db, broken)).rejects.toThrow(/nowhere_at_all/);
    expect((await db.query("SELECT to_regclass('half_done') AS t")).rows).toEqual([{ t: null }]);
    expect(await versions(db)).toEqual(POSTGRES_MIGRATIONS.map((_, i) => i + 1));
    await db.close();
  });

  test('transaction commits what resolves and rolls back what throws', async () => {
    const db = await openPgliteDatabase();
    await db.query('CREATE TABLE t (a integer)');
    await db.transaction((tx) => tx.query('INSERT INTO t VALUES (1)'));
    await expect(db.transaction(async (tx) => {
      await tx.query('INSERT INTO t VALUES (2)');
      throw new Error('boom');
    })).rejects.toThrow('boom');
    expect((await db.query('SELECT a FROM t')).rows).toEqual([{ a: 1 }]);
    await db.close();
  });
});

describe('openPostgresDatabase', () => {
  test('refuses a URL that is not postgres:// with INVALID_INPUT, without showing it', async () => {
    for (const url of ['not a url', 'mysql://root:secret@db/x', 'file:///etc/passwd']) {
      const error = await openPostgresDatabase(url).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/postgres:\/\//) });
      expect((error as Error).message).not.toContain('secret');
    }
  });

  test('a server that refuses the connection is EXTERNAL_FAILURE naming the host but not the password', async () => {
    const error = await openPostgresDatabase('postgres://yoloops:hunter2@127.0.0.1:1/yoloops').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'EXTERNAL_FAILURE', message: expect.stringMatching(/127\.0\.0\.1:1/) });
    expect((error as Error).message).not.toContain('hunter2');
  });
});
