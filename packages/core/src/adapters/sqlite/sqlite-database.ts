import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { CoreError } from '../../errors.js';

/** A better-sqlite3 connection (an interface, so declaration files can name it). */
export interface SqliteDatabase extends Database.Database {}

/**
 * Schema steps, applied in order; `PRAGMA user_version` counts how many ran. Append only: never
 * edit or reorder a step that has shipped.
 */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE datasets (
     dataset_id TEXT PRIMARY KEY,
     uploaded_at TEXT NOT NULL,
     status TEXT NOT NULL,
     data TEXT NOT NULL
   ) STRICT;
   CREATE INDEX datasets_by_upload ON datasets (uploaded_at DESC, dataset_id DESC);
   CREATE TABLE dataset_versions (
     dataset_id TEXT NOT NULL REFERENCES datasets (dataset_id) ON DELETE CASCADE,
     version TEXT NOT NULL,
     report TEXT NOT NULL,
     PRIMARY KEY (dataset_id, version)
   ) STRICT;
   CREATE TABLE dataset_images (
     dataset_id TEXT NOT NULL,
     version TEXT NOT NULL,
     path TEXT NOT NULL,
     split TEXT NOT NULL,
     width INTEGER NOT NULL,
     height INTEGER NOT NULL,
     label_path TEXT,
     PRIMARY KEY (dataset_id, version, path),
     FOREIGN KEY (dataset_id, version) REFERENCES dataset_versions (dataset_id, version) ON DELETE CASCADE
   ) STRICT;`,
  `CREATE TABLE annotation_tasks (
     task_id TEXT PRIMARY KEY,
     dataset_id TEXT NOT NULL,
     data TEXT NOT NULL
   ) STRICT;
   CREATE INDEX annotation_tasks_by_dataset ON annotation_tasks (dataset_id);
   CREATE TABLE task_items (
     task_id TEXT NOT NULL REFERENCES annotation_tasks (task_id) ON DELETE CASCADE,
     image_id TEXT NOT NULL,
     ord INTEGER NOT NULL,
     data TEXT NOT NULL,
     PRIMARY KEY (task_id, image_id),
     UNIQUE (task_id, ord)
   ) STRICT;
   CREATE TABLE annotations (
     task_id TEXT NOT NULL,
     image_id TEXT NOT NULL,
     boxes TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     source TEXT NOT NULL CHECK (source IN ('imported', 'manual')),
     PRIMARY KEY (task_id, image_id),
     FOREIGN KEY (task_id, image_id) REFERENCES task_items (task_id, image_id) ON DELETE CASCADE
   ) STRICT;`,
  `CREATE TABLE training_jobs (
     seq INTEGER PRIMARY KEY,
     job_id TEXT NOT NULL UNIQUE,
     created_at TEXT NOT NULL,
     status TEXT NOT NULL,
     data TEXT NOT NULL
   ) STRICT;
   CREATE INDEX training_jobs_by_created ON training_jobs (created_at DESC, seq DESC);
   CREATE INDEX training_jobs_by_status ON training_jobs (status);
   CREATE TABLE training_epoch_metrics (
     job_id TEXT NOT NULL,
     epoch INTEGER NOT NULL,
     attempt INTEGER NOT NULL,
     recorded_at TEXT NOT NULL,
     metrics TEXT NOT NULL,
     non_finite TEXT,
     PRIMARY KEY (job_id, epoch)
   ) STRICT;`,
  `CREATE TABLE models (
     model_id TEXT PRIMARY KEY,
     created_at TEXT NOT NULL,
     job_id TEXT,
     data TEXT NOT NULL
   ) STRICT;
   CREATE INDEX models_by_created ON models (created_at DESC, model_id DESC);
   CREATE INDEX models_by_job ON models (job_id);`,
  `CREATE TABLE resource_counters (
     kind TEXT PRIMARY KEY,
     last INTEGER NOT NULL
   ) STRICT;
   CREATE TABLE resources (
     kind TEXT NOT NULL,
     id TEXT NOT NULL,
     number INTEGER NOT NULL,
     owner_id INTEGER,
     project_id INTEGER,
     meta TEXT NOT NULL,
     created_at TEXT NOT NULL,
     PRIMARY KEY (kind, id),
     UNIQUE (kind, number)
   ) STRICT;
   CREATE INDEX resources_by_project ON resources (project_id);
   CREATE TABLE projects (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     name TEXT NOT NULL,
     description TEXT,
     owner_id INTEGER,
     status TEXT NOT NULL CHECK (status IN ('active', 'archived')),
     settings TEXT NOT NULL,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   ) STRICT;
   CREATE INDEX projects_by_owner ON projects (owner_id, id);`,
  `CREATE TABLE users (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     username TEXT NOT NULL UNIQUE COLLATE NOCASE,
     email TEXT,
     role TEXT NOT NULL CHECK (role IN ('admin', 'member')),
     is_active INTEGER NOT NULL CHECK (is_active IN (0, 1)),
     password_hash TEXT NOT NULL,
     token_version INTEGER NOT NULL,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   ) STRICT;
   CREATE TABLE revoked_tokens (
     jti_sha256 TEXT PRIMARY KEY,
     expires_at INTEGER NOT NULL
   ) STRICT;
   CREATE INDEX revoked_tokens_by_expiry ON revoked_tokens (expires_at);`,
  `CREATE TABLE settings (
     key TEXT PRIMARY KEY,
     value TEXT NOT NULL,
     updated_at TEXT NOT NULL
   ) STRICT;`,
  `CREATE TABLE training_step_metrics (
     job_id TEXT NOT NULL,
     step INTEGER NOT NULL,
     attempt INTEGER NOT NULL,
     recorded_at TEXT NOT NULL,
     metrics TEXT NOT NULL,
     non_finite TEXT,
     PRIMARY KEY (job_id, step)
   ) STRICT;`,
  `CREATE TABLE instruction_datasets (
     id TEXT PRIMARY KEY,
     created_at TEXT NOT NULL,
     owner_id INTEGER,
     data TEXT NOT NULL
   ) STRICT;
   CREATE INDEX instruction_datasets_by_created ON instruction_datasets (created_at DESC, id DESC);
   CREATE TABLE processing_tasks (
     task_id TEXT PRIMARY KEY,
     dataset_id TEXT NOT NULL,
     created_at TEXT NOT NULL,
     status TEXT NOT NULL,
     data TEXT NOT NULL
   ) STRICT;
   CREATE INDEX processing_tasks_by_created ON processing_tasks (created_at DESC, task_id DESC);
   CREATE INDEX processing_tasks_by_dataset ON processing_tasks (dataset_id);`,
  `CREATE TABLE workers (
     worker_id TEXT PRIMARY KEY,
     last_heartbeat TEXT NOT NULL,
     data TEXT NOT NULL
   ) STRICT;`,
  `CREATE TABLE server_instances (
     instance_id TEXT PRIMARY KEY,
     last_heartbeat TEXT NOT NULL,
     data TEXT NOT NULL
   ) STRICT;`,
];

export { parseStoredJson } from '../../platform/safe-json.js';

/** Applies the pending `MIGRATIONS` in one immediate transaction (safe when two processes open at once). */
export function migrateSqliteDatabase(db: SqliteDatabase): void {
  db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > MIGRATIONS.length) {
      throw new CoreError('UNSUPPORTED', `database ${db.name} has schema version ${current}; this build knows ${MIGRATIONS.length}. Upgrade yoloops.`, {
        reason: 'schema_too_new',
      });
    }
    MIGRATIONS.slice(current).forEach((sql, index) => {
      db.exec(sql);
      db.pragma(`user_version = ${current + index + 1}`);
    });
  }).immediate();
}

/**
 * Opens (creating parent folders) a SQLite file in WAL mode with `synchronous=FULL`, so every
 * acknowledged commit survives power loss, with foreign keys on and a 5 s busy timeout; then migrates.
 * @see https://sqlite.org/pragma.html#pragma_synchronous
 * @example const db = openSqliteDatabase('/var/lib/yoloops/yoloops.db');
 */
export function openSqliteDatabase(file: string): SqliteDatabase {
  if (file !== ':memory:' && file !== '') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new Database(file);
  try {
    db.pragma('busy_timeout = 5000');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    migrateSqliteDatabase(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}
