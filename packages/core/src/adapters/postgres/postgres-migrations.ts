import { CoreError } from '../../errors.js';
import type { PostgresDatabase } from './postgres-database.js';
import { MIGRATION_002 } from './migrations/002-catalog.js';
import { MIGRATION_003 } from './migrations/003-catalog-accounts.js';
import { MIGRATION_004 } from './migrations/004-workers.js';
import { MIGRATION_005 } from './migrations/005-server-instances.js';

/**
 * The schema, one list of statements per version (append only; never edit a released entry). `data` is the record as
 * JSON text, as on SQLite: `text` keeps it byte for byte (jsonb would reorder keys and refuse `\u0000`).
 * `revision` counts writes so a read-modify-write can compare-and-set on it; `created_at` sorts in byte order.
 */
export const POSTGRES_MIGRATIONS: readonly (readonly string[])[] = [
  [
    `CREATE TABLE training_jobs (
     seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     job_id text NOT NULL UNIQUE,
     created_at text COLLATE "C" NOT NULL,
     status text NOT NULL,
     revision bigint NOT NULL DEFAULT 0,
     data text NOT NULL
     )`,
    'CREATE INDEX training_jobs_by_created ON training_jobs (created_at DESC, seq DESC)',
    'CREATE INDEX training_jobs_by_status ON training_jobs (status)',
  ],
  MIGRATION_002,
  MIGRATION_003,
  MIGRATION_004,
  MIGRATION_005,
];

/** Any fixed number: the advisory lock that makes two processes migrating at once take turns. */
const MIGRATION_LOCK = 7_160_012;

/** Applies the pending `POSTGRES_MIGRATIONS` in one transaction, recording each in `schema_migrations`. */
export async function migratePostgresDatabase(db: PostgresDatabase, migrations: readonly (readonly string[])[] = POSTGRES_MIGRATIONS): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    const { rows } = await tx.query<{ version: number | null }>('SELECT max(version) AS version FROM schema_migrations');
    const current = rows[0]?.version ?? 0;
    if (current > migrations.length) {
      throw new CoreError('UNSUPPORTED', `database has schema version ${current}; this build knows ${migrations.length}. Upgrade yoloops.`, {
        reason: 'schema_too_new',
      });
    }
    for (const [index, statements] of migrations.entries()) {
      if (index < current) continue;
      for (const sql of statements) await tx.query(sql);
      await tx.query('INSERT INTO schema_migrations (version) VALUES ($1)', [index + 1]);
    }
  });
}
