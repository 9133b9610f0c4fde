/**
 * Notify ingest (issue 3 acceptance): durable `POST /api/model/train/notify/result` requests/s from 64
 * concurrent agents ÷ `GET /health` requests/s under the same 64-connection load in the same run
 * (target ≥ 0.5), and notify p99 latency (target < 50 ms). The server runs as a child process (the
 * real CLI) so the load generator does not share its event loop; 64 jobs are seeded straight into its
 * SQLite file before it starts. Every notify answer must be HTTP 200 with `success: true`.
 */
import path from 'node:path';
import { createSqliteJobStore, openSqliteDatabase } from '@yoloops/core/node';
import { log, type Bench, type BenchResult } from './support/bench.js';
import { AGENTS, notifyWindow, runNotifyPhase, seedJob } from './support/notify-load.js';
import { runPhase, startServerChild, stopChild, type PhaseResult } from './support/server-child.js';
import { round } from './support/stats.js';
import { withTempDir } from './support/temp-dir.js';

const NAME = 'notify-ingest';
const durations = notifyWindow;

/** 64 jobs in the data folder's SQLite file, written through core's own job store before the server opens it. */
async function seedJobs(dataDir: string): Promise<string[]> {
  const db = openSqliteDatabase(path.join(dataDir, 'yoloops.db'));
  try {
    const store = createSqliteJobStore(db);
    const ids: string[] = [];
    for (let i = 0; i < AGENTS; i++) {
      const job = seedJob(dataDir);
      await store.create(job);
      ids.push(job.job_id);
    }
    return ids;
  } finally {
    db.close();
  }
}

function countEpochRows(dataDir: string): number {
  const db = openSqliteDatabase(path.join(dataDir, 'yoloops.db'));
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM training_epoch_metrics').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

export const bench: Bench = {
  name: NAME,
  run: () =>
    withTempDir(NAME, async (dataDir): Promise<BenchResult[]> => {
      const jobIds = await seedJobs(dataDir);
      const { child, origin } = await startServerChild(dataDir);
      log(NAME, `server child pid ${child.pid} at ${origin}; ${jobIds.length} jobs seeded`);
      let health: PhaseResult;
      let notify: PhaseResult;
      try {
        health = await runPhase(origin, AGENTS, durations(), async (_agent, pool) => {
          const res = await pool.request({ method: 'GET', path: '/health' });
          await res.body.dump();
          return res.statusCode === 200 ? undefined : `GET /health → ${res.statusCode}`;
        });
        log(NAME, `health: ${health.rps.toFixed(0)} req/s, p50 ${health.p50.toFixed(2)} ms, p99 ${health.p99.toFixed(2)} ms, ${health.failures} failures`);
        notify = await runNotifyPhase(origin, jobIds);
        log(NAME, `notify: ${notify.rps.toFixed(0)} req/s, p50 ${notify.p50.toFixed(2)} ms, p99 ${notify.p99.toFixed(2)} ms, ${notify.failures} failures`);
        if (notify.firstFailure) log(NAME, `first notify failure: ${notify.firstFailure}`);
      } finally {
        await stopChild(child);
      }
      const stored = countEpochRows(dataDir);
      const ok = notify.issued - notify.failures;
      const { warmupMs, measureMs } = durations();
      const window = `${AGENTS} agents, ${warmupMs / 1000} s warm-up + ${measureMs / 1000} s`;
      return [
        { metric: 'notify ÷ health req/s', value: round(notify.rps / health.rps), unit: '×', target: { op: '>=', value: 0.5 }, note: window },
        { metric: 'notify p99', value: round(notify.p99), unit: 'ms', target: { op: '<', value: 50 }, note: `p50 ${round(notify.p50)} ms, max ${round(notify.max)} ms` },
        {
          metric: 'notify throughput', value: round(notify.rps), unit: 'req/s',
          note: `durable (synchronous=FULL); ${notify.failures} failed of ${notify.issued}; ${stored} epoch rows stored for ${ok} ok answers${notify.firstFailure ? `; first failure: ${notify.firstFailure}` : ''}`,
        },
        {
          metric: 'GET /health (baseline)', value: round(health.rps), unit: 'req/s',
          note: `p50 ${round(health.p50)} ms, p99 ${round(health.p99)} ms; ${health.failures} failed of ${health.issued}`,
        },
      ];
    }),
};
