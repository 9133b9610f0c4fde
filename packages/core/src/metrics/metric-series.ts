import { canonicalMetricName, compareMetricKeys, metricInfo, percentToFraction } from './metric-names.js';

/** One epoch of a training run: metric values by name (canonical keys, or any trainer's names). */
export interface EpochMetrics {
  epoch: number;
  metrics: Readonly<Record<string, number | null | undefined>>;
}

/** A canonical metric and the stored names that hold its values, preferred first. */
export interface MetricSource {
  key: string;
  names: readonly string[];
}

/**
 * The epochs in ascending order with one row per epoch (a repeated epoch keeps its last row, as a
 * re-run after resume replaces the old one): the input itself when it already is (no copy).
 */
export function sortByEpoch<T extends EpochMetrics>(series: readonly T[]): readonly T[] {
  for (let i = 1; i < series.length; i++) {
    if ((series[i] as T).epoch <= (series[i - 1] as T).epoch) return [...new Map(series.map((row) => [row.epoch, row])).values()].sort((a, b) => a.epoch - b.epoch);
  }
  return series;
}

/**
 * Every canonical metric found in the series with the stored names that map to it (the canonical
 * name itself first, then others in order of first appearance), sorted by `compareMetricKeys`.
 */
export function collectMetricSources(series: readonly EpochMetrics[]): MetricSource[] {
  const seen = new Set<string>();
  const byKey = new Map<string, string[]>();
  for (const row of series) {
    for (const name in row.metrics) {
      if (seen.has(name)) continue;
      seen.add(name);
      const key = canonicalMetricName(name);
      const names = byKey.get(key);
      if (!names) byKey.set(key, [name]);
      else if (name === key) names.unshift(name);
      else names.push(name);
    }
  }
  return [...byKey].map(([key, names]) => ({ key, names })).sort((a, b) => compareMetricKeys(a.key, b.key));
}

/**
 * Sources of the requested metrics in the requested order (names canonicalised, duplicates dropped);
 * a metric absent from the series gets no stored names, so it charts as an empty series. Without a
 * request: every available metric except learning rates and `time` (bookkeeping, not model quality).
 */
export function pickMetricSources(available: readonly MetricSource[], requested: readonly string[] | undefined): MetricSource[] {
  if (requested === undefined) return available.filter((source) => source.key !== 'time' && metricInfo(source.key).kind !== 'lr');
  const byKey = new Map(available.map((source) => [source.key, source]));
  const keys = [...new Set(requested.map((name) => name.trim()).filter((name) => name.length > 0).map(canonicalMetricName))];
  return keys.map((key) => byKey.get(key) ?? { key, names: [] });
}

/**
 * The metric's value in one epoch as a stored fraction: the first finite value among the source
 * names, with a percent-kind value in (1, 100] divided by 100 (see `normalizeMetricValue`); else `NaN`.
 */
export function readMetric(row: EpochMetrics, source: MetricSource, percent: boolean): number {
  for (const name of source.names) {
    const value = row.metrics[name];
    if (typeof value === 'number' && Number.isFinite(value)) return percent ? percentToFraction(value) : value;
  }
  return Number.NaN;
}
