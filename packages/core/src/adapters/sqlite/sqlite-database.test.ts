import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { MIGRATIONS, openSqliteDatabase, parseStoredJson, type SqliteDatabase } from './sqlite-database.js';

let dir: string;
const opened: SqliteDatabase[] = [];
const open = (file: string) => {
  const db = openSqliteDatabase(file);
  opened.push(db);
  return db;
};
const tables = (db: SqliteDatabase) =>
  db.prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'yoloops-sqlite-'));
});
afterEach(() => {
  for (const db of opened.splice(0)) if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('openSqliteDatabase', () => {
  test('creates parent folders and sets WAL, FULL sync, foreign keys and a busy timeout', () => {
    const db = open(path.join(dir, 'a', 'b', 'yoloops.db'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
  });

  test('applies every migration once; reopening keeps the version and the data', () => {
    const file = path.join(dir, 'yoloops.db');
    const db = open(file);
    expect(MIGRATIONS.length).toBeGreaterThan(0);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(tables(db)).toEqual(['annotation_tasks', 'annotations', 'dataset_images', 'dataset_versions', 'datasets', 'instruction_datasets', 'models', 'processing_tasks', 'projects', 'resource_counters', 'resources', 'revoked_tokens', 'server_instances', 'settings', 'sqlite_sequence', 'task_items', 'training_epoch_metrics', 'training_jobs', 'training_step_metrics', 'users', 'workers']);
    db.prepare("INSERT INTO datasets VALUES ('ds_1', '2024-01-01', 'uploaded', '{}')").run();
    db.close();
    const again = open(file);
    expect(again.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(again.prepare('SELECT count(*) FROM datasets').pluck().get()).toBe(1);
  });

  test('refuses a database written by a newer build', () => {
    const file = path.join(dir, 'newer.db');
    const raw = new Database(file);
    raw.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    raw.close();
    expect(() => openSqliteDatabase(file)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED', reason: 'schema_too_new' }));
  });

  test('a failing migration rolls back every step of that open', () => {
    const file = path.join(dir, 'broken.db');
    const raw = new Database(file);
    raw.exec('CREATE TABLE annotation_tasks (x)');
    raw.close();
    expect(() => openSqliteDatabase(file)).toThrow(/already exists/);
    const check = new Database(file);
    expect(check.pragma('user_version', { simple: true })).toBe(0);
    expect(tables(check)).toEqual(['annotation_tasks']);
    check.close();
  });

  test('every commit acknowledged before a SIGKILL is still there afterwards', async () => {
    const file = path.join(dir, 'crash.db');
    const module = path.join(path.dirname(fileURLToPath(import.meta.url)), 'sqlite-database.ts');
    const script = `
      const { openSqliteDatabase } = await import(${JSON.stringify(module)});
      const db = openSqliteDatabase(${JSON.stringify(file)});
      const insert = db.prepare("INSERT INTO datasets VALUES (?, '2024-01-01', 'uploaded', '{}')");
      for (let i = 0; ; i++) { insert.run('ds_' + i); process.stdout.write(i + '\\n'); }`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    await new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.split('\n').length > 200) resolve();
      });
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const acknowledged = output.split('\n').filter((line) => /^\d+$/.test(line)).map(Number);
    const db = open(file);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const stored = new Set(db.prepare<[], string>('SELECT dataset_id FROM datasets').pluck().all());
    expect(acknowledged.length).toBeGreaterThan(100);
    expect(acknowledged.filter((i) => !stored.has(`ds_${i}`))).toEqual([]);
  });
});

describe('parseStoredJson', () => {
  test('drops __proto__ keys at any depth and leaves prototypes alone', () => {
    const parsed = parseStoredJson<Record<string, unknown>>('{"__proto__":{"admin":true},"a":{"__proto__":{"x":1},"b":[{"__proto__":{}}]}}');
    expect(parsed).toStrictEqual({ a: { b: [{}] } });
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(({} as { admin?: unknown }).admin).toBeUndefined();
  });
});
