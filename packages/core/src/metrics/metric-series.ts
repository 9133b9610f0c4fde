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

/** Groups stored names (in order of first appearance) by canonical metric, the canonical name first; sorted by `compareMetricKeys`. */
function sourcesOf(names: Iterable<string>): MetricSource[] {
  const byKey = new Map<string, string[]>();
  for (const name of names) {
    const key = canonicalMetricName(name);
    const group = byKey.get(key);
    if (!group) byKey.set(key, [name]);
    else if (name === key) group.unshift(name);
    else group.push(name);
  }
  return [...byKey].map(([key, group]) => ({ key, names: group })).sort((a, b) => compareMetricKeys(a.key, b.key));
}

/**
 * Every canonical metric found in the series with the stored names that map to it (the canonical
 * name itself first, then others in order of first appearance), sorted by `compareMetricKeys`.
 */
export function collectMetricSources(series: readonly EpochMetrics[]): MetricSource[] {
  return readMetricTable(series, () => false).sources;
}

/** The metric sources of a series, its epochs, and the columns read: values by stored name, `NaN` where none is finite. */
export interface MetricTable {
  sources: MetricSource[];
  epochs: Float64Array;
  columns: ReadonlyMap<string, Float64Array>;
}

/**
 * A source of `NaN`-filled columns of `length` values, carved from shared buffers 64 bytes apart:
 * separately allocated large arrays all start at the same offset in a page, and writing a dozen of
 * them row by row then thrashes the CPU cache (about 1.5× slower).
 */
function createColumnPool(length: number, perBuffer: number): () => Float64Array {
  const stride = length + 8;
  let buffer = new Float64Array(0);
  let used = 0;
  return () => {
    if ((used + 1) * stride > buffer.length) {
      buffer = new Float64Array(stride * perBuffer);
      used = 0;
    }
    const start = stride * used++;
    return buffer.subarray(start, start + length).fill(Number.NaN);
  };
}

/**
 * `collectMetricSources` of the rows, their epochs, and the columns of the stored names whose canonical
 * key `wanted` accepts, in one pass: the hot path of long runs (one `for…in` per row; while rows share their key
 * list, each position's column is cached, and values nobody wants are never loaded).
 */
export function readMetricTable(rows: readonly EpochMetrics[], wanted: (key: string) => boolean): MetricTable {
  const names = new Map<string, Float64Array | null>();
  const newColumn = createColumnPool(rows.length, Math.max(4, Object.keys(rows[0]?.metrics ?? {}).length));
  const keys: string[] = [];
  const cached: (Float64Array | null)[] = [];
  const epochs = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const { epoch, metrics } = rows[i] as EpochMetrics;
    epochs[i] = epoch;
    let position = 0;
    for (const name in metrics) {
      if (keys[position] !== name) {
        keys[position] = name;
        let column = names.get(name);
        if (column === undefined) names.set(name, (column = wanted(canonicalMetricName(name)) ? newColumn() : null));
        cached[position] = column;
      }
      const column = cached[position++];
      if (!column) continue;
      const value = metrics[name];
      if (typeof value === 'number' && Number.isFinite(value)) column[i] = value;
    }
  }
  const columns = new Map<string, Float64Array>();
  for (const [name, column] of names) if (column) columns.set(name, column);
  return { sources: sourcesOf(names.keys()), epochs, columns };
}

/**
 * The source's value in each row as `readMetric` reads it, before the percent rule: its first
 * name's column, with gaps filled from the next names in order (in place: the table's column is
 * returned, not a copy); `undefined` when the table holds none of its columns.
 */
export function sourceColumn(table: MetricTable, source: MetricSource): Float64Array | undefined {
  const [first, ...fallbacks] = source.names.map((name) => table.columns.get(name));
  if (!first) return undefined;
  for (const fallback of fallbacks) {
    if (!fallback) continue;
    for (let i = 0; i < first.length; i++) if (Number.isNaN(first[i])) first[i] = fallback[i] as number;
  }
  return first;
}

/** The canonical keys of requested metric names, in order, duplicates and blanks dropped. */
const requestedKeys = (requested: readonly string[]) => [...new Set(requested.map((name) => name.trim()).filter((name) => name.length > 0).map(canonicalMetricName))];

/** Whether a canonical metric is charted: one of `requested` (any names), or by default any but learning rates and `time` (bookkeeping, not model quality). */
export function metricWanted(requested: readonly string[] | undefined): (key: string) => boolean {
  if (requested === undefined) return (key) => key !== 'time' && metricInfo(key).kind !== 'lr';
  const keys = new Set(requestedKeys(requested));
  return (key) => keys.has(key);
}

/**
 * Sources of the requested metrics in the requested order (names canonicalised, duplicates dropped);
 * a metric absent from the series gets no stored names, so it charts as an empty series. Without a
 * request: every available metric that `metricWanted` accepts.
 */
export function pickMetricSources(available: readonly MetricSource[], requested: readonly string[] | undefined): MetricSource[] {
  if (requested === undefined) {
    const wanted = metricWanted(undefined);
    return available.filter((source) => wanted(source.key));
  }
  const byKey = new Map(available.map((source) => [source.key, source]));
  return requestedKeys(requested).map((key) => byKey.get(key) ?? { key, names: [] });
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
