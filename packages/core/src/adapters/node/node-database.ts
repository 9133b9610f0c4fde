import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { ValidationError } from '../../errors.js';
import { openPostgresDatabase, POSTGRES_SCHEMA_NAME, type PostgresDatabase } from '../postgres/postgres-database.js';

/** The special schema value that gives every data root its own schema (meant for test isolation). */
export const PER_DATA_ROOT_SCHEMA = 'per-data-root';

/** Where the node platform keeps its metadata when not in `<dataDir>/yoloops.db`: a PostgreSQL server. */
export interface NodeDatabaseOptions {
  /** `postgres://user:password@host:5432/database` (or `postgresql://`). */
  url: string;
  /** Schema of the tables (default `public`); `per-data-root`: one derived from the data root's real path. */
  schema?: string;
  /** Connections in the pool (default 10). */
  poolMax?: number;
}

/** The schema a data root gets under `per-data-root`: `yoloops_` and 24 hex digits of the SHA-256 of its real path. */
export function schemaForDataRoot(dataDir: string): string {
  return `yoloops_${createHash('sha256').update(realpathSync(dataDir)).digest('hex').slice(0, 24)}`;
}

/**
 * The PostgreSQL settings in `env` (`YOLOOPS_DATABASE_URL`, `YOLOOPS_DATABASE_SCHEMA`, `YOLOOPS_DATABASE_POOL_MAX`),
 * or undefined when no URL is set (SQLite); a bad value is a ValidationError naming the variable, never the password.
 */
export function databaseOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): NodeDatabaseOptions | undefined {
  const url = env.YOLOOPS_DATABASE_URL?.trim();
  if (url === undefined || url === '') return undefined;
  const schema = env.YOLOOPS_DATABASE_SCHEMA?.trim() || undefined;
  const poolRaw = env.YOLOOPS_DATABASE_POOL_MAX?.trim() || undefined;
  const poolMax = poolRaw === undefined ? undefined : Number(poolRaw);
  if (poolMax !== undefined && (!Number.isSafeInteger(poolMax) || poolMax < 1)) {
    throw new ValidationError(`YOLOOPS_DATABASE_POOL_MAX must be a positive integer, got "${poolRaw}"`);
  }
  return { url, ...(schema === undefined ? {} : { schema }), ...(poolMax === undefined ? {} : { poolMax }) };
}

/** The schema `options` name for the data root `dataDir` (which must exist): itself, `public`, or the per-data-root one. */
export function resolveDatabaseSchema(options: NodeDatabaseOptions, dataDir: string): string {
  const schema = options.schema ?? 'public';
  if (schema === PER_DATA_ROOT_SCHEMA) return schemaForDataRoot(dataDir);
  if (!POSTGRES_SCHEMA_NAME.test(schema)) {
    throw new ValidationError(`database schema must be ${PER_DATA_ROOT_SCHEMA} or a lower-case identifier (letters, digits, _; at most 63), got "${schema}"`);
  }
  return schema;
}

/**
 * Opens the pool of `options` for the data root `dataDir` (search_path = its schema, created if missing) and migrates it.
 * @example const db = await openNodeDatabase({ url: 'postgres://yoloops:secret@db:5432/yoloops' }, './data');
 */
export function openNodeDatabase(options: NodeDatabaseOptions, dataDir: string): Promise<PostgresDatabase> {
  return openPostgresDatabase(options.url, { schema: resolveDatabaseSchema(options, dataDir), ...(options.poolMax === undefined ? {} : { max: options.poolMax }) });
}
