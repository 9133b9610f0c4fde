import { normalizeEpochMetrics, normalizeStepMetrics } from '../../jobs/epoch-metrics.js';
import type { EpochRecord, MetricStore, StepRecord } from '../../jobs/metric-store.port.js';
import { parseStoredJson } from '../../platform/safe-json.js';
import type { PostgresDatabase } from './postgres-database.js';
import { createMetricGroupCommit } from './postgres-metric-group-commit.js';

interface Row {
  key: number;
  attempt: number;
  recorded_at: string;
  metrics: string;
  non_finite: string | null;
}

const flagsOf = (row: Row) => (row.non_finite === null ? {} : { non_finite: parseStoredJson<string[]>(row.non_finite) });
const toRecord = (row: Row): EpochRecord => ({ epoch: row.key, metrics: parseStoredJson(row.metrics), attempt: row.attempt, recorded_at: row.recorded_at, ...flagsOf(row) });
const toStep = (row: Row): StepRecord => ({ step: row.key, values: parseStoredJson(row.metrics), attempt: row.attempt, recorded_at: row.recorded_at, ...flagsOf(row) });
const flags = (nonFinite: string[]) => (nonFinite.length > 0 ? JSON.stringify(nonFinite) : null);

/**
 * `MetricStore` on PostgreSQL (`training_epoch_metrics`, `training_step_metrics` from migration 002): one upsert per
 * epoch or step that keeps the stored row when it came from a later attempt, concurrent upserts group-committed
 * into one `unnest` statement; rows read back exactly as SQLite's adapter returns them.
 * @example const metrics = createPostgresMetricStore(await openPgliteDatabase());
 */
export function createPostgresMetricStore(db: PostgresDatabase): MetricStore {
  const upsertEpoch = createMetricGroupCommit(db, 'training_epoch_metrics', 'epoch');
  const upsertStep = createMetricGroupCommit(db, 'training_step_metrics', 'step');
  const list = async (table: string, column: string, jobId: string, range: { start?: number; end?: number }) =>
    (await db.query<Row>(
      `SELECT ${column} AS key, attempt::float8 AS attempt, recorded_at, metrics, non_finite FROM ${table}
        WHERE job_id = $1 AND ($2::float8 IS NULL OR ${column} >= $2::float8) AND ($3::float8 IS NULL OR ${column} <= $3::float8)
        ORDER BY ${column}`,
      [jobId, range.start ?? null, range.end ?? null],
    )).rows;
  return {
    async upsertEpoch(jobId, epoch, values, meta) {
      const { metrics, nonFinite } = normalizeEpochMetrics(epoch, values, meta);
      return upsertEpoch({ jobId, key: epoch, attempt: meta.attempt, recordedAt: meta.recorded_at, metrics: JSON.stringify(metrics), nonFinite: flags(nonFinite) });
    },
    listEpochs: async (jobId, range = {}) => (await list('training_epoch_metrics', 'epoch', jobId, range)).map(toRecord),
    async upsertStep(jobId, step, values, meta) {
      const { metrics, nonFinite } = normalizeStepMetrics(step, values, meta);
      return upsertStep({ jobId, key: step, attempt: meta.attempt, recordedAt: meta.recorded_at, metrics: JSON.stringify(metrics), nonFinite: flags(nonFinite) });
    },
    listSteps: async (jobId, range = {}) => (await list('training_step_metrics', 'step', jobId, range)).map(toStep),
    async deleteJob(jobId) {
      const { rows } = await db.query<{ n: number }>(
        `WITH e AS (DELETE FROM training_epoch_metrics WHERE job_id = $1 RETURNING 1), s AS (DELETE FROM training_step_metrics WHERE job_id = $1 RETURNING 1)
         SELECT ((SELECT count(*) FROM e) + (SELECT count(*) FROM s))::integer AS n`,
        [jobId],
      );
      return rows[0]?.n ?? 0;
    },
  };
}
