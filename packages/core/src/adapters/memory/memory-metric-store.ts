import { normalizeEpochMetrics } from '../../jobs/epoch-metrics.js';
import type { EpochRecord, MetricStore } from '../../jobs/metric-store.port.js';
import { storedCopy as clone } from '../../platform/safe-json.js';

/**
 * `MetricStore` on maps: one row per (job, epoch), replaced unless the stored row is from a later attempt.
 * @example const metrics = createMemoryMetricStore();
 */
export function createMemoryMetricStore(): MetricStore {
  const byJob = new Map<string, Map<number, EpochRecord>>();

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
    async deleteJob(jobId) {
      const count = byJob.get(jobId)?.size ?? 0;
      byJob.delete(jobId);
      return count;
    },
  };
}
