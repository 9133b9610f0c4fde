import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openPostgresDatabase, type PostgresDatabase } from '../../src/adapters/postgres/postgres-database.js';

/** The server `npm run test:postgres` runs against (`YOLOOPS_TEST_POSTGRES_URL`); throws naming the variable when unset. */
export function testPostgresUrl(): string {
  const url = process.env.YOLOOPS_TEST_POSTGRES_URL?.trim();
  if (url === undefined || url === '') {
    throw new Error('YOLOOPS_TEST_POSTGRES_URL is not set: point it at a PostgreSQL server, e.g. postgres://yoloops:secret@127.0.0.1:5432/yoloops_test (npm run test:postgres)');
  }
  return url;
}

/** A fresh schema on the test server: its migrated pool(s), and `drop()` which ends them and drops the schema. */
export interface TestSchema {
  url: string;
  schema: string;
  /** The first pool, migrated. */
  db: PostgresDatabase;
  /** Another migrated pool on the same schema (another "server"). */
  open(options?: { max?: number }): Promise<PostgresDatabase>;
  /** Runs one statement as the test server's user outside the schema's pools (e.g. pg_terminate_backend). */
  admin<R extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]>;
  drop(): Promise<void>;
}

/**
 * Creates a schema named `prefix_<random>` on `YOLOOPS_TEST_POSTGRES_URL` (or `options.url`) and opens a migrated pool on it.
 * @example const s = await createTestSchema('jobs'); afterAll(() => s.drop());
 */
export async function createTestSchema(prefix = 'test', options: { max?: number; url?: string } = {}): Promise<TestSchema> {
  const url = options.url ?? testPostgresUrl();
  const schema = `${prefix}_${randomBytes(6).toString('hex')}`;
  const pools: PostgresDatabase[] = [];
  const open = async (o: { max?: number } = options) => {
    const db = await openPostgresDatabase(url, { schema, ...(o.max === undefined ? {} : { max: o.max }) });
    pools.push(db);
    return db;
  };
  const admin = async <R extends pg.QueryResultRow>(sql: string, params: unknown[] = []) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<R>(sql, params)).rows;
    } finally {
      await client.end();
    }
  };
  const db = await open();
  return {
    url, schema, db, open, admin,
    async drop() {
      await Promise.all(pools.map((p) => p.close().catch(() => undefined)));
      await admin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    },
  };
}

/** Drops every schema whose name matches the LIKE `pattern` (what per-data-root runs leave behind); returns how many. */
export async function dropSchemasLike(url: string, pattern: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ nspname: string }>('SELECT nspname FROM pg_namespace WHERE nspname LIKE $1', [pattern]);
    for (const { nspname } of rows) await client.query(`DROP SCHEMA IF EXISTS "${nspname}" CASCADE`);
    return rows.length;
  } finally {
    await client.end();
  }
}
