/**
 * Notify ingest on PostgreSQL ÷ the same on SQLite (issue 12): the server child (the real CLI) runs twice
 * in one bench run, once on `<data>/yoloops.db` and once with `YOLOOPS_DATABASE_URL` on a fresh schema,
 * under the notify-ingest load (64 closed-loop agents, 64 seeded jobs). Reports req/s and p99 of each and
 * their ratio; no target is set. The server comes from `YOLOOPS_BENCH_POSTGRES_URL`
 * (`postgres://user:password@127.0.0.1:5432/db`, a role that may create schemas); unset, only the SQLite
 * half runs and a row says why. The schema is created for the run and dropped after it.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { JobStore } from '@yoloops/core';
import { createPostgresJobStore, createSqliteJobStore, openPostgresDatabase, openSqliteDatabase } from '@yoloops/core/node';
import { log, type Bench, type BenchResult } from './support/bench.js';
import { AGENTS, notifyWindow, runNotifyPhase, seedJob } from './support/notify-load.js';
import { startServerChild, stopChild, type PhaseResult } from './support/server-child.js';
import { round } from './support/stats.js';
import { createTempDir } from './support/temp-dir.js';

const NAME = 'notify-postgres';
const URL_VAR = 'YOLOOPS_BENCH_POSTGRES_URL';

/** One half: where the metadata lives, how to seed and count there, and the server's extra environment. */
interface Backend {
  label: 'SQLite' | 'PostgreSQL';
  env: Record<string, string>;
  /** Writes the 64 jobs through core's own job store (records under `dataDir`); their ids. */
  seed(dataDir: string): Promise<string[]>;
  countEpochRows(): Promise<number>;
  dispose(): Promise<void>;
}

interface HalfResult {
  label: string;
  notify: PhaseResult;
  stored: number;
}

async function seedInto(store: JobStore, dataDir: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < AGENTS; i++) {
    const job = seedJob(dataDir);
    await store.create(job);
    ids.push(job.job_id);
  }
  return ids;
}

/** `<dataDir>/yoloops.db`, the embedded default. */
function sqliteBackend(dataDir: string): Backend {
  const file = path.join(dataDir, 'yoloops.db');
  const withDb = async <T>(fn: (db: ReturnType<typeof openSqliteDatabase>) => Promise<T> | T): Promise<T> => {
    const db = openSqliteDatabase(file);
    try {
      return await fn(db);
    } finally {
      db.close();
    }
  };
  return {
    label: 'SQLite', env: {},
    seed: (dir) => withDb((db) => seedInto(createSqliteJobStore(db), dir)),
    countEpochRows: () => withDb((db) => (db.prepare('SELECT COUNT(*) AS n FROM training_epoch_metrics').get() as { n: number }).n),
    dispose: async () => undefined,
  };
}

/** A fresh schema `bench_<random>` on the server at `url`, migrated by opening it; dropped by `dispose`. */
async function postgresBackend(url: string): Promise<Backend> {
  const schema = `bench_${randomBytes(6).toString('hex')}`;
  const db = await openPostgresDatabase(url, { schema, max: 2 });
  return {
    label: 'PostgreSQL', env: { YOLOOPS_DATABASE_URL: url, YOLOOPS_DATABASE_SCHEMA: schema },
    seed: (dir) => seedInto(createPostgresJobStore(db), dir),
    countEpochRows: async () => Number((await db.query<{ n: string }>('SELECT COUNT(*) AS n FROM training_epoch_metrics')).rows[0]!.n),
    async dispose() {
      try {
        await db.query(`DROP SCHEMA ${schema} CASCADE`);
      } finally {
        await db.close();
      }
    },
  };
}

/** Seeds 64 jobs, runs the server child on `backend`, loads it with notify reports, counts what was stored. */
async function runHalf(dataDir: string, backend: Backend): Promise<HalfResult> {
  const jobIds = await backend.seed(dataDir);
  const { child, origin } = await startServerChild(dataDir, backend.env);
  log(NAME, `${backend.label}: server child pid ${child.pid} at ${origin}; ${jobIds.length} jobs seeded`);
  let notify: PhaseResult;
  try {
    notify = await runNotifyPhase(origin, jobIds);
  } finally {
    await stopChild(child);
  }
  log(NAME, `${backend.label} notify: ${notify.rps.toFixed(0)} req/s, p50 ${notify.p50.toFixed(2)} ms, p99 ${notify.p99.toFixed(2)} ms, ${notify.failures} failures`);
  if (notify.firstFailure) log(NAME, `${backend.label}: first notify failure: ${notify.firstFailure}`);
  return { label: backend.label, notify, stored: await backend.countEpochRows() };
}

function halfRows(half: HalfResult): BenchResult[] {
  const { notify, stored, label } = half;
  const ok = notify.issued - notify.failures;
  const failure = notify.firstFailure ? `; first failure: ${notify.firstFailure}` : '';
  return [
    {
      metric: `notify req/s ${label}`, value: round(notify.rps), unit: 'req/s',
      note: `${notify.failures} failed of ${notify.issued}; ${stored} epoch rows stored for ${ok} ok answers${failure}`,
    },
    { metric: `notify p99 ${label}`, value: round(notify.p99), unit: 'ms', note: `p50 ${round(notify.p50)} ms, max ${round(notify.max)} ms` },
  ];
}

/** The host and database of a URL, never its password. */
function describeServer(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
}

async function runSqliteHalf(): Promise<HalfResult> {
  const dataDir = await createTempDir(`${NAME}-sqlite`);
  return runHalf(dataDir, sqliteBackend(dataDir));
}

export const bench: Bench = {
  name: NAME,
  async run(): Promise<BenchResult[]> {
    const url = process.env[URL_VAR]?.trim() || undefined;
    const { warmupMs, measureMs } = notifyWindow();
    const window = `${AGENTS} agents, ${warmupMs / 1000} s warm-up + ${measureMs / 1000} s each`;
    if (url === undefined) {
      const why = `${URL_VAR} is unset (postgres://user:password@host:5432/db of a role that may create schemas)`;
      log(NAME, `skipped the PostgreSQL half: ${why}`);
      const sqlite = await runSqliteHalf();
      return [...halfRows(sqlite), { metric: 'notify PostgreSQL ÷ SQLite req/s', value: 0, unit: '(skipped)', note: `PostgreSQL half skipped: ${why}` }];
    }
    log(NAME, `PostgreSQL at ${describeServer(url)}`);
    const sqlite = await runSqliteHalf();
    const backend = await postgresBackend(url);
    let postgres: HalfResult;
    try {
      postgres = await runHalf(await createTempDir(`${NAME}-postgres`), backend);
    } finally {
      await backend.dispose();
    }
    return [
      { metric: 'notify PostgreSQL ÷ SQLite req/s', value: round(postgres.notify.rps / sqlite.notify.rps), unit: '×', note: `${window}; same run` },
      ...halfRows(postgres),
      ...halfRows(sqlite),
    ];
  },
};
