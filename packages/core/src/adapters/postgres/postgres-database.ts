import type pg from 'pg';
import { CoreError, ValidationError } from '../../errors.js';
import { migratePostgresDatabase } from './postgres-migrations.js';

/** One row set back from a statement. */
export interface PostgresResult<R> {
  rows: R[];
}

/** The part of a connection both `pg` and PGlite offer: a parameterised statement (`$1`, `$2` …). */
export interface PostgresQueryable {
  query<R = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<PostgresResult<R>>;
}

/** A PostgreSQL database (a `pg.Pool` or a PGlite instance) the postgres adapters run on. */
export interface PostgresDatabase extends PostgresQueryable {
  /** Runs `fn` in one transaction on one connection: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: PostgresQueryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const asExternal = (error: unknown, what: string): never => {
  if (error instanceof CoreError) throw error;
  throw new CoreError('EXTERNAL_FAILURE', `PostgreSQL ${what} failed: ${(error as Error).message}`, { cause: error });
};

/** The `host:port` of a `postgres://` URL (what messages may show: never the password); ValidationError otherwise. */
const postgresHost = (url: string): string => {
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  if (parsed === undefined || !['postgres:', 'postgresql:'].includes(parsed.protocol)) {
    throw new ValidationError('database URL must look like postgres://user:password@host:5432/database', { details: { protocol: parsed?.protocol ?? null } });
  }
  return parsed.host;
};

/**
 * `pg`, loaded on first use: a server on the embedded default (SQLite) never pays for the PostgreSQL driver's
 * memory and start-up.
 */
export async function loadPg(): Promise<typeof pg> {
  return (await import('pg')).default;
}

/** SQLSTATEs of a connection the server ended (terminated, crashed, restarting) or lost. */
const LOST_CODES = new Set(['57P01', '57P02', '57P03', '08000', '08003', '08006']);

/** Whether `error` says the connection died before the statement could run (a restart, pg_terminate_backend, a reset). */
export function isConnectionLost(error: unknown): boolean {
  const { code, message } = error as { code?: string; message?: string };
  return LOST_CODES.has(code ?? '') || /Connection terminated|ECONNRESET|EPIPE|connection error/i.test(message ?? '');
}

/** Tries a statement again on another connection when its own was found dead; pooled connections a restart killed go one by one. */
async function retryLost<T>(attempts: number, run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await run();
    } catch (error) {
      if (attempt >= attempts || !isConnectionLost(error)) throw error;
    }
  }
}

/**
 * Wraps a `pg.Pool`; a transaction checks out one client and releases it afterwards. A statement (or a transaction's
 * BEGIN) that meets a connection the server ended runs again on a fresh one, so the pool outlives a server restart.
 */
export function fromPgPool(pool: pg.Pool): PostgresDatabase {
  const attempts = (pool.options.max ?? 10) + 1;
  let ended: Promise<void> | undefined; // close() twice ends the pool once
  const begin = async () => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      return client;
    } catch (error) {
      client.release(error as Error);
      throw error;
    }
  };
  return {
    query: async <R>(text: string, params: readonly unknown[] = []) => {
      const result = await retryLost(attempts, () => pool.query(text, [...params]));
      return { rows: result.rows as R[] };
    },
    async transaction(fn) {
      const client = await retryLost(attempts, begin);
      const tx: PostgresQueryable = {
        query: async <R>(text: string, params: readonly unknown[] = []) => ({ rows: (await client.query(text, [...params])).rows as R[] }),
      };
      let broken: Error | undefined;
      try {
        const value = await fn(tx);
        await client.query('COMMIT');
        return value;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollback: unknown) => (broken = rollback as Error));
        throw error;
      } finally {
        client.release(broken);
      }
    },
    close: () => (ended ??= pool.end()),
  };
}

/** What a schema name may be: a plain lower-case identifier, so it never needs quoting (`public`, `yoloops_ab12`). */
export const POSTGRES_SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface OpenPostgresOptions {
  /** Connections in the pool (default 10). */
  max?: number;
  /** The schema every table lives in (`search_path`), created when missing (default `public`). */
  schema?: string;
}

/** Creates `schema` unless it exists; two processes creating it at once both succeed. */
async function ensureSchema(db: PostgresDatabase, schema: string): Promise<void> {
  if (schema === 'public') return;
  try {
    await db.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  } catch (error) {
    // IF NOT EXISTS still races in the catalog: a concurrent creator wins with unique_violation / duplicate_schema.
    if (!['23505', '42P06'].includes((error as { code?: string }).code ?? '')) throw error;
  }
}

/**
 * Connects a pool to the server at `url` (`postgres://user:pass@host:port/db`), with every connection's
 * `search_path` set to `options.schema` (created if missing), and applies the pending migrations.
 * @example const db = await openPostgresDatabase('postgres://yoloops:secret@127.0.0.1:5432/yoloops', { schema: 'yoloops' });
 */
export async function openPostgresDatabase(url: string, options: OpenPostgresOptions = {}): Promise<PostgresDatabase> {
  const pg = await loadPg();
  const host = postgresHost(url);
  const schema = options.schema ?? 'public';
  if (!POSTGRES_SCHEMA_NAME.test(schema)) {
    throw new ValidationError('database schema must be a lower-case identifier (letters, digits, _; at most 63)', { details: { schema } });
  }
  const pool = new pg.Pool({
    connectionString: url, max: options.max ?? 10, options: `-c search_path=${schema}`, connectionTimeoutMillis: 15_000,
  });
  // An idle client losing its server (a restart) emits 'error' on the pool; without a listener that kills the process.
  pool.on('error', () => undefined);
  const db = fromPgPool(pool);
  try {
    await ensureSchema(db, schema);
    await migratePostgresDatabase(db);
  } catch (error) {
    await pool.end().catch(() => undefined);
    asExternal(error, `opening ${host}`);
  }
  return db;
}
