import type { PostgresDatabase } from './postgres-database.js';

/** One epoch or step row to upsert: (job, key) with the attempt that wrote it. */
export interface MetricRow {
  jobId: string;
  key: number;
  attempt: number;
  recordedAt: string;
  metrics: string;
  nonFinite: string | null;
}

/** Rows per statement at most (a flood of reports still goes out in statements of bounded size). */
const MAX_ROWS = 1000;

type Pending = { row: MetricRow; resolve: (stored: boolean) => void; reject: (error: unknown) => void };

const rowKey = (row: MetricRow) => `${row.jobId}\u0000${row.key}`;
const byKey = (a: MetricRow, b: MetricRow) => (a.jobId === b.jobId ? a.key - b.key : a.jobId < b.jobId ? -1 : 1);

/**
 * Splits a batch into runs with distinct (job, key): ON CONFLICT may touch a row once per statement, so the
 * second upsert of one key goes in the next run — in call order, so the result is what one-by-one would give.
 */
export function distinctRuns<T>(items: readonly T[], keyOf: (item: T) => string): T[][] {
  const seen = new Map<string, number>();
  const runs: T[][] = [];
  for (const item of items) {
    const key = keyOf(item);
    const index = seen.get(key) ?? 0;
    seen.set(key, index + 1);
    (runs[index] ??= []).push(item);
  }
  return runs.flatMap((run) => Array.from({ length: Math.ceil(run.length / MAX_ROWS) }, (_, i) => run.slice(i * MAX_ROWS, (i + 1) * MAX_ROWS)));
}

/**
 * Group commit for one metrics table: upserts issued in the same event-loop turn go out as ONE
 * `INSERT … SELECT * FROM unnest(…) ON CONFLICT … DO UPDATE … WHERE excluded.attempt >= attempt` (newest attempt
 * wins), and each call still resolves with its own row's result after the statement committed.
 */
export function createMetricGroupCommit(db: PostgresDatabase, table: 'training_epoch_metrics' | 'training_step_metrics', column: 'epoch' | 'step') {
  const sql = `INSERT INTO ${table} (job_id, ${column}, attempt, recorded_at, metrics, non_finite)
    SELECT * FROM unnest($1::text[], $2::integer[], $3::bigint[], $4::text[], $5::text[], $6::text[])
    ON CONFLICT (job_id, ${column}) DO UPDATE SET attempt = excluded.attempt, recorded_at = excluded.recorded_at,
      metrics = excluded.metrics, non_finite = excluded.non_finite
    WHERE excluded.attempt >= ${table}.attempt
    RETURNING job_id, ${column} AS key`;

  const send = async (run: Pending[]) => {
    // Rows in one fixed order, so two servers' statements lock shared rows in the same order and never deadlock.
    const rows = run.map((p) => p.row).sort(byKey);
    try {
      const { rows: stored } = await db.query<{ job_id: string; key: number }>(sql, [
        rows.map((r) => r.jobId), rows.map((r) => r.key), rows.map((r) => r.attempt),
        rows.map((r) => r.recordedAt), rows.map((r) => r.metrics), rows.map((r) => r.nonFinite),
      ]);
      const written = new Set(stored.map((r) => `${r.job_id}\u0000${r.key}`));
      for (const p of run) p.resolve(written.has(rowKey(p.row)));
    } catch (error) {
      // One bad row (text PostgreSQL refuses, such as U+0000) must not fail the calls it was grouped with.
      if (run.length === 1) run[0]?.reject(error);
      else for (const p of run) await send([p]);
    }
  };

  let pending: Pending[] = [];
  const flush = async () => {
    const batch = pending;
    pending = [];
    for (const run of distinctRuns(batch, (p) => rowKey(p.row))) await send(run);
  };
  return (row: MetricRow) =>
    new Promise<boolean>((resolve, reject) => {
      if (pending.push({ row, resolve, reject }) === 1) setImmediate(() => void flush());
    });
}
