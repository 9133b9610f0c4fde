import { normalizeEpochMetrics, normalizeStepMetrics } from '../../jobs/epoch-metrics.js';
import type { EpochRecord, MetricStore, StepRecord } from '../../jobs/metric-store.port.js';
import { storedCopy as clone } from '../../platform/safe-json.js';

/**
 * `MetricStore` on maps: one row per (job, epoch) and per (job, step), replaced unless the stored row is from a later attempt.
 * @example const metrics = createMemoryMetricStore();
 */
export function createMemoryMetricStore(): MetricStore {
  const byJob = new Map<string, Map<number, EpochRecord>>();
  const stepsByJob = new Map<string, Map<number, StepRecord>>();
  const inRange = (n: number, range: { start?: number; end?: number }) => (range.start === undefined || n >= range.start) && (range.end === undefined || n <= range.end);

  return {
    async upsertEpoch(jobId, epoch, values, meta) {
      const { metrics, nonFinite } = normalizeEpochMetrics(epoch, values, meta);
      const rows = byJob.get(jobId) ?? new Map<number, EpochRecord>();
      const old = rows.get(epoch);
      if (old !== undefined && old.attempt > meta.attempt) return false;
      rows.set(epoch, clone({ epoch, metrics, attempt: meta.attempt, recorded_at: meta.recorded_at, ...(nonFinite.length ? { non_finite: nonFinite } : {}) }));
      byJob.set(jobId, rows);
      return true;
    },
    async listEpochs(jobId, range = {}) {
      const rows = [...(byJob.get(jobId)?.values() ?? [])]
        .filter((r) => (range.start === undefined || r.epoch >= range.start) && (range.end === undefined || r.epoch <= range.end))
        .sort((a, b) => a.epoch - b.epoch);
      return clone(rows);
    },
    async upsertStep(jobId, step, values, meta) {
      const { metrics, nonFinite } = normalizeStepMetrics(step, values, meta);
      const rows = stepsByJob.get(jobId) ?? new Map<number, StepRecord>();
      const old = rows.get(step);
      if (old !== undefined && old.attempt > meta.attempt) return false;
      rows.set(step, clone({ step, values: metrics, attempt: meta.attempt, recorded_at: meta.recorded_at, ...(nonFinite.length ? { non_finite: nonFinite } : {}) }));
      stepsByJob.set(jobId, rows);
      return true;
    },
    async listSteps(jobId, range = {}) {
      return clone([...(stepsByJob.get(jobId)?.values() ?? [])].filter((r) => inRange(r.step, range)).sort((a, b) => a.step - b.step));
    },
    async deleteJob(jobId) {
      const count = (byJob.get(jobId)?.size ?? 0) + (stepsByJob.get(jobId)?.size ?? 0);
      byJob.delete(jobId);
      stepsByJob.delete(jobId);
      return count;
    },
  };
}
