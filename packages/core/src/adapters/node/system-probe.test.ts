import { chmodSync, mkdirSync, mkdtempSync, rmSync, statfsSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { openPgliteDatabase } from '../postgres/pglite-database.js';
import { POSTGRES_MIGRATIONS } from '../postgres/postgres-migrations.js';
import { openSqliteDatabase } from '../sqlite/sqlite-database.js';
import { createSystemProbe } from './system-probe.js';

const root = mkdtempSync(path.join(tmpdir(), 'yoloops-probe-'));
const db = openSqliteDatabase(path.join(root, 'data', 'yoloops.db'));
afterAll(() => {
  if (db.open) db.close();
  rmSync(root, { recursive: true, force: true });
});
const limits = { maxDatasetUploadBytes: 1, maxModelUploadBytes: 2 };

describe('createSystemProbe', () => {
  test('storage: the filesystem numbers are statfs\'s; the data root size is the sum of its files, symlinks not followed, cached', async () => {
    const dataDir = path.join(root, 'sized');
    mkdirSync(path.join(dataDir, 'a', 'b'), { recursive: true });
    writeFileSync(path.join(dataDir, 'one'), Buffer.alloc(1000));
    writeFileSync(path.join(dataDir, 'a', 'b', 'two'), Buffer.alloc(2345));
    symlinkSync(path.join(root, 'data', 'yoloops.db'), path.join(dataDir, 'link'));
    const probe = createSystemProbe({ dataDir, db, limits, dataDirCacheMs: 60_000 });
    const usage = await probe.storage();
    const fs = statfsSync(dataDir);
    expect(usage).toMatchObject({
      total_bytes: fs.blocks * fs.bsize, used_bytes: (fs.blocks - fs.bfree) * fs.bsize, data_dir_bytes: 3345, data_dir_measured_at: expect.any(String),
    });
    // free space moves as other processes write; it is statfs's available-to-us figure, within what changed meanwhile
    expect(Math.abs(usage.free_bytes - fs.bavail * fs.bsize)).toBeLessThan(64 * 1024 ** 2);
    writeFileSync(path.join(dataDir, 'three'), Buffer.alloc(10));
    expect((await probe.storage()).data_dir_bytes).toBe(3345);
    expect((await createSystemProbe({ dataDir, db, limits, dataDirCacheMs: 0 }).storage()).data_dir_bytes).toBe(3355);
  });

  test('checkDatabase runs a real query: healthy with the schema version, unhealthy with the error once closed', async () => {
    const own = openSqliteDatabase(path.join(root, 'check', 'yoloops.db'));
    const probe = createSystemProbe({ dataDir: root, db: own, limits });
    expect(await probe.checkDatabase()).toMatchObject({
      status: 'healthy', engine: 'sqlite', version: expect.stringMatching(/^3\.\d+/), schema_version: own.pragma('user_version', { simple: true }), tables: expect.any(Number),
    });
    own.close();
    expect(await probe.checkDatabase()).toStrictEqual({ status: 'unhealthy', error: expect.stringMatching(/not open/) });
  });

  test('checkDatabase on PostgreSQL (PGlite) reports its engine, server version and migration version; unhealthy once closed', async () => {
    const pg = await openPgliteDatabase();
    const probe = createSystemProbe({ dataDir: root, db, postgres: pg, limits });
    expect(await probe.checkDatabase()).toMatchObject({
      status: 'healthy', engine: 'postgresql', version: expect.stringMatching(/^\d+\.\d+/), schema_version: POSTGRES_MIGRATIONS.length, tables: expect.any(Number),
    });
    expect(((await probe.checkDatabase()) as { tables: number }).tables).toBeGreaterThanOrEqual(2);
    await pg.close();
    expect(await probe.checkDatabase()).toMatchObject({ status: 'unhealthy', error: expect.any(String) });
  });

  test('findProgram: an executable on PATH, a path given, else null', async () => {
    const bin = path.join(root, 'bin');
    mkdirSync(bin);
    writeFileSync(path.join(bin, 'yolo'), '#!/bin/sh\n', { mode: 0o755 });
    writeFileSync(path.join(bin, 'plain'), 'not executable');
    chmodSync(path.join(bin, 'plain'), 0o644);
    const probe = createSystemProbe({ dataDir: root, db, limits, env: { PATH: `/nonexistent${path.delimiter}${bin}` } });
    expect(await probe.findProgram('yolo')).toBe(path.join(bin, 'yolo'));
    expect(await probe.findProgram('plain')).toBeNull();
    expect(await probe.findProgram('missing')).toBeNull();
    expect(await probe.findProgram(path.join(bin, 'yolo'))).toBe(path.join(bin, 'yolo'));
    expect(await probe.findProgram(bin)).toBeNull();
    expect(probe.limits).toEqual(limits);
  });
});
