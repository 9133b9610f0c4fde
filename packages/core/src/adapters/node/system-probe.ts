import { constants, type Stats } from 'node:fs';
import { access, lstat, readdir, statfs } from 'node:fs/promises';
import path from 'node:path';
import type { PostgresDatabase } from '../postgres/postgres-database.js';
import type { SqliteDatabase } from '../sqlite/sqlite-database.js';

/** Bytes of the filesystem holding the data root (statfs: `free_bytes` is what an unprivileged process may still use) and of the data root itself. */
export interface StorageUsage {
  total_bytes: number;
  used_bytes: number;
  free_bytes: number;
  /** Sum of the sizes of every file under the data root (symlinks not followed), measured at `data_dir_measured_at`. */
  data_dir_bytes: number;
  data_dir_measured_at: string;
}

export type DatabaseCheck =
  | { status: 'healthy'; engine: 'sqlite' | 'postgresql'; version: string; schema_version: number; tables: number; latency_ms: number }
  | { status: 'unhealthy'; error: string };

export interface SystemProbeOptions {
  dataDir: string;
  db: SqliteDatabase;
  /** The PostgreSQL database holding the metadata, when there is one: the database check queries it instead of `db`. */
  postgres?: PostgresDatabase;
  /** How long the PostgreSQL check waits for its answer (default 5 s). */
  databaseTimeoutMs?: number;
  /** Upload caps in force (bytes), reported by `/settings/storage`. */
  limits: { maxDatasetUploadBytes: number; maxModelUploadBytes: number };
  /** How long a measured data-root size is reused (default 30 s); callers during a walk share it. */
  dataDirCacheMs?: number;
  env?: NodeJS.ProcessEnv;
}

async function treeBytes(dir: string): Promise<number> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const sizes = await Promise.all(entries.map(async (entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return treeBytes(full);
    const stats: Stats | undefined = await lstat(full).catch(() => undefined); // a file removed meanwhile counts 0
    return stats?.isFile() ? stats.size : 0;
  }));
  return sizes.reduce((a, b) => a + b, 0);
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return (await lstat(file).then((s) => !s.isDirectory()));
  } catch {
    return false;
  }
}

/** The PostgreSQL server's version, the schema's migration version and its table count, or a throw after `timeoutMs`. */
async function postgresFacts(db: PostgresDatabase, timeoutMs: number) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`PostgreSQL did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  const query = db.query<{ version: string; schema_version: number | null; tables: string }>(
    `SELECT current_setting('server_version') AS version, (SELECT max(version) FROM schema_migrations) AS schema_version,
            (SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()) AS tables`,
  );
  try {
    const row = (await Promise.race([query, timeout])).rows[0];
    return { status: 'healthy' as const, engine: 'postgresql' as const, version: row?.version ?? '', schema_version: row?.schema_version ?? 0, tables: Number(row?.tables ?? 0) };
  } finally {
    clearTimeout(timer);
    query.catch(() => undefined);
  }
}

/**
 * What `/settings/storage` and `/health/detailed` report about this machine: the data root's
 * filesystem (statfs) and size (a walk, cached), a real database query, and programs on PATH.
 * @example const probe = createSystemProbe({ dataDir, db }); await probe.storage();
 */
export function createSystemProbe(options: SystemProbeOptions) {
  const cacheMs = options.dataDirCacheMs ?? 30_000;
  const env = options.env ?? process.env;
  let measured: { bytes: Promise<{ bytes: number; at: string }>; expiresAt: number } | undefined;

  function dataDirBytes() {
    if (measured && Date.now() < measured.expiresAt) return measured.bytes;
    const bytes = treeBytes(options.dataDir).then((b) => ({ bytes: b, at: new Date().toISOString() }));
    const entry = { bytes, expiresAt: Number.POSITIVE_INFINITY };
    void bytes.finally(() => (entry.expiresAt = Date.now() + cacheMs)).catch(() => (measured = undefined));
    measured = entry;
    return bytes;
  }

  return {
    dataDir: options.dataDir,
    limits: options.limits,
    async storage(): Promise<StorageUsage> {
      const [fsStats, own] = await Promise.all([statfs(options.dataDir), dataDirBytes()]);
      return {
        total_bytes: fsStats.blocks * fsStats.bsize,
        used_bytes: (fsStats.blocks - fsStats.bfree) * fsStats.bsize,
        free_bytes: fsStats.bavail * fsStats.bsize,
        data_dir_bytes: own.bytes,
        data_dir_measured_at: own.at,
      };
    },
    /** Runs a real query on the database (its engine, server version, schema version and table count). */
    async checkDatabase(): Promise<DatabaseCheck> {
      const started = performance.now();
      const latency = () => Math.round((performance.now() - started) * 1000) / 1000;
      try {
        if (options.postgres !== undefined) return { ...(await postgresFacts(options.postgres, options.databaseTimeoutMs ?? 5000)), latency_ms: latency() };
        const schemaVersion = options.db.pragma('user_version', { simple: true }) as number;
        const row = options.db.prepare<[string], { n: number; v: string }>('SELECT count(*) AS n, sqlite_version() AS v FROM sqlite_master WHERE type = ?').get('table');
        return { status: 'healthy', engine: 'sqlite', version: row?.v ?? '', schema_version: schemaVersion, tables: row?.n ?? 0, latency_ms: latency() };
      } catch (error) {
        return { status: 'unhealthy', error: (error as Error).message };
      }
    },
    /** Where `program` resolves: itself when it holds a path separator and is executable, else the first executable match on PATH; null when none. */
    async findProgram(program: string): Promise<string | null> {
      if (program.includes('/') || program.includes(path.sep)) return (await isExecutable(program)) ? path.resolve(program) : null;
      for (const dir of (env.PATH ?? '').split(path.delimiter).filter((d) => d !== '')) {
        const candidate = path.join(dir, program);
        if (await isExecutable(candidate)) return candidate;
      }
      return null;
    },
  };
}

export type SystemProbe = ReturnType<typeof createSystemProbe>;
