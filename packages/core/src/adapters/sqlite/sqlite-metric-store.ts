import { normalizeEpochMetrics, normalizeStepMetrics } from '../../jobs/epoch-metrics.js';
import type { EpochRecord, MetricStore, StepRecord } from '../../jobs/metric-store.port.js';
import { parseStoredJson, type SqliteDatabase } from './sqlite-database.js';

interface Row {
  epoch: number;
  attempt: number;
  recorded_at: string;
  metrics: string;
  non_finite: string | null;
}

const toRecord = (row: Row): EpochRecord => ({
  epoch: row.epoch,
  metrics: parseStoredJson(row.metrics),
  attempt: row.attempt,
  recorded_at: row.recorded_at,
  ...(row.non_finite === null ? {} : { non_finite: parseStoredJson<string[]>(row.non_finite) }),
});

/** A step row, read with `step AS epoch` so both tables share `Row`. */
const toStep = (row: Row): StepRecord => ({
  step: row.epoch,
  values: parseStoredJson(row.metrics),
  attempt: row.attempt,
  recorded_at: row.recorded_at,
  ...(row.non_finite === null ? {} : { non_finite: parseStoredJson<string[]>(row.non_finite) }),
});

type UpsertArgs = [string, number, number, string, string, string | null];

/**
 * Group commit: upserts that arrive in the same event-loop turn are written in ONE transaction, so many
 * concurrent reports share one fsync (synchronous=FULL) — each promise still resolves only after its
 * row is committed, so an acknowledged epoch is durable.
 */
function createGroupCommit(db: SqliteDatabase, run: (args: UpsertArgs) => boolean) {
  let pending: { args: UpsertArgs; resolve: (stored: boolean) => void; reject: (error: unknown) => void }[] = [];
  const flush = () => {
    const batch = pending;
    pending = [];
    try {
      const results = db.transaction(() => batch.map((item) => run(item.args))).immediate();
      batch.forEach((item, i) => item.resolve(results[i] ?? false));
    } catch (error) {
      batch.forEach((item) => item.reject(error));
    }
  };
  return (args: UpsertArgs) =>
    new Promise<boolean>((resolve, reject) => {
      if (pending.push({ args, resolve, reject }) === 1) setImmediate(flush);
    });
}

/**
 * `MetricStore` on SQLite (`training_epoch_metrics`, `training_step_metrics`): one upsert per epoch or
 * step that keeps the stored row when it came from a later attempt, with concurrent upserts group-committed.
 * @example const metrics = createSqliteMetricStore(openSqliteDatabase(file));
 */
export function createSqliteMetricStore(db: SqliteDatabase): MetricStore {
  const q = {
    upsert: db.prepare<[string, number, number, string, string, string | null]>(
      `INSERT INTO training_epoch_metrics (job_id, epoch, attempt, recorded_at, metrics, non_finite) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (job_id, epoch) DO UPDATE SET attempt = excluded.attempt, recorded_at = excluded.recorded_at,
         metrics = excluded.metrics, non_finite = excluded.non_finite
       WHERE excluded.attempt >= training_epoch_metrics.attempt`,
    ),
    list: db.prepare<[{ id: string; start: number | null; end: number | null }], Row>(
      `SELECT epoch, attempt, recorded_at, metrics, non_finite FROM training_epoch_metrics
       WHERE job_id = @id AND (@start IS NULL OR epoch >= @start) AND (@end IS NULL OR epoch <= @end) ORDER BY epoch`,
    ),
    delete: db.prepare<[string]>('DELETE FROM training_epoch_metrics WHERE job_id = ?'),
    upsertStep: db.prepare<UpsertArgs>(
      `INSERT INTO training_step_metrics (job_id, step, attempt, recorded_at, metrics, non_finite) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (job_id, step) DO UPDATE SET attempt = excluded.attempt, recorded_at = excluded.recorded_at,
         metrics = excluded.metrics, non_finite = excluded.non_finite
       WHERE excluded.attempt >= training_step_metrics.attempt`,
    ),
    listSteps: db.prepare<[{ id: string; start: number | null; end: number | null }], Row>(
      `SELECT step AS epoch, attempt, recorded_at, metrics, non_finite FROM training_step_metrics
       WHERE job_id = @id AND (@start IS NULL OR step >= @start) AND (@end IS NULL OR step <= @end) ORDER BY step`,
    ),
    deleteSteps: db.prepare<[string]>('DELETE FROM training_step_metrics WHERE job_id = ?'),
  };

  const upsert = createGroupCommit(db, (args) => q.upsert.run(...args).changes > 0);
  const upsertStep = createGroupCommit(db, (args) => q.upsertStep.run(...args).changes > 0);
  const flags = (nonFinite: string[]) => (nonFinite.length > 0 ? JSON.stringify(nonFinite) : null);
  return {
    async upsertEpoch(jobId, epoch, values, meta) {
      const { metrics, nonFinite } = normalizeEpochMetrics(epoch, values, meta);
      const flags = nonFinite.length > 0 ? JSON.stringify(nonFinite) : null;
      return upsert([jobId, epoch, meta.attempt, meta.recorded_at, JSON.stringify(metrics), flags]);
    },
    listEpochs: async (jobId, range = {}) => q.list.all({ id: jobId, start: range.start ?? null, end: range.end ?? null }).map(toRecord),
    async upsertStep(jobId, step, values, meta) {
      const { metrics, nonFinite } = normalizeStepMetrics(step, values, meta);
      return upsertStep([jobId, step, meta.attempt, meta.recorded_at, JSON.stringify(metrics), flags(nonFinite)]);
    },
    listSteps: async (jobId, range = {}) => q.listSteps.all({ id: jobId, start: range.start ?? null, end: range.end ?? null }).map(toStep),
    deleteJob: async (jobId) => db.transaction(() => q.delete.run(jobId).changes + q.deleteSteps.run(jobId).changes).immediate(),
  };
}
