import type { PGlite } from '@electric-sql/pglite';
import type { PostgresDatabase, PostgresQueryable } from './postgres-database.js';
import { migratePostgresDatabase } from './postgres-migrations.js';

/** Wraps a PGlite instance (PostgreSQL compiled to WebAssembly, one connection, in this process). */
export function fromPglite(lite: PGlite): PostgresDatabase {
  return {
    query: async <R>(text: string, params: readonly unknown[] = []) => ({ rows: (await lite.query<R>(text, [...params])).rows }),
    transaction: (fn) =>
      lite.transaction((tx) =>
        fn({
          query: async <R>(text: string, params: readonly unknown[] = []) => ({ rows: (await tx.query<R>(text, [...params])).rows }),
        } satisfies PostgresQueryable),
      ),
    close: () => lite.close(),
  };
}

/**
 * Opens PGlite with its files in `dir` (created if missing), or in memory when `dir` is omitted, and migrates it.
 * @example const db = await openPgliteDatabase(); // a throwaway in-memory PostgreSQL for tests
 */
export async function openPgliteDatabase(dir?: string): Promise<PostgresDatabase> {
  // Loaded here: nothing but an in-process database needs PGlite's WebAssembly build.
  const { PGlite } = await import('@electric-sql/pglite');
  const lite = await PGlite.create(dir);
  const db = fromPglite(lite);
  try {
    await migratePostgresDatabase(db);
  } catch (error) {
    await lite.close().catch(() => undefined);
    throw error;
  }
  return db;
}
