import { ValidationError } from '../errors.js';
import type { EpochMeta, EpochMetricValues } from './metric-store.port.js';

/** Bounds on one stored epoch (G3: absurd epochs and key floods are refused, not stored). */
export const EPOCH_LIMITS = { maxEpoch: 1_000_000, maxMetrics: 1000, maxNameLength: 200 } as const;

const invalid = (message: string, reason: string, details: Record<string, unknown> = {}) =>
  new ValidationError(message, { reason, details });

function checkName(name: string): void {
  if (name.length === 0 || name.length > EPOCH_LIMITS.maxNameLength || /[\u0000-\u001f\u007f]/.test(name) || name === '__proto__') {
    throw invalid(`invalid metric name ${JSON.stringify(name.slice(0, 64))}: 1–${EPOCH_LIMITS.maxNameLength} printable characters`, 'invalid_metric_name');
  }
}

/**
 * Checks one epoch before it is stored and returns the values to keep: NaN and ±Infinity become
 * `null` (a diverged loss is a fact worth keeping, and refusing it would make an agent retry forever)
 * and their names are returned in `nonFinite`; anything else that is not a number or null throws.
 */
export function normalizeEpochMetrics(
  epoch: number,
  metrics: EpochMetricValues,
  meta: EpochMeta,
): { metrics: EpochMetricValues; nonFinite: string[] } {
  if (!Number.isSafeInteger(epoch) || epoch < 0 || epoch > EPOCH_LIMITS.maxEpoch) {
    throw invalid(`epoch must be an integer 0–${EPOCH_LIMITS.maxEpoch} (got ${String(epoch)})`, 'invalid_epoch', { epoch });
  }
  return normalizeMetricValues(metrics, meta);
}

/** Bounds on one stored step (a run of a million steps logged at every step still fits). */
export const STEP_LIMITS = { maxStep: 1_000_000_000 } as const;

/** Checks one logging step like {@link normalizeEpochMetrics} checks an epoch: same value rules, step 0–1e9. */
export function normalizeStepMetrics(step: number, values: EpochMetricValues, meta: EpochMeta): { metrics: EpochMetricValues; nonFinite: string[] } {
  if (!Number.isSafeInteger(step) || step < 0 || step > STEP_LIMITS.maxStep) {
    throw invalid(`step must be an integer 0–${STEP_LIMITS.maxStep} (got ${String(step)})`, 'invalid_step', { step });
  }
  return normalizeMetricValues(values, meta);
}

function normalizeMetricValues(metrics: EpochMetricValues, meta: EpochMeta): { metrics: EpochMetricValues; nonFinite: string[] } {
  if (!Number.isSafeInteger(meta.attempt) || meta.attempt < 1) {
    throw invalid(`attempt must be a positive integer (got ${String(meta.attempt)})`, 'invalid_attempt');
  }
  if (typeof metrics !== 'object' || metrics === null || Array.isArray(metrics)) throw invalid('metrics must be an object of name → number', 'invalid_metrics');
  const entries = Object.entries(metrics);
  if (entries.length > EPOCH_LIMITS.maxMetrics) {
    throw invalid(`too many metrics in one epoch: ${entries.length} (at most ${EPOCH_LIMITS.maxMetrics})`, 'too_many_metrics');
  }
  const nonFinite: string[] = [];
  const kept = entries.map(([name, value]): [string, number | null] => {
    checkName(name);
    if (value === null) return [name, null];
    if (typeof value !== 'number') throw invalid(`metric ${JSON.stringify(name)} must be a number or null (got ${typeof value})`, 'invalid_metric_value');
    if (Number.isFinite(value)) return [name, value];
    nonFinite.push(name);
    return [name, null];
  });
  return { metrics: Object.fromEntries(kept), nonFinite };
}
