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
  /** The buffers that the columns are carved from (see `releaseMetricTable`). */
  buffers: readonly Float64Array[];
}

/**
 * The largest buffer of the last released table, for the next table to carve its columns from:
 * writing a fresh 10 MB buffer costs a page fault per 4 KiB (about 4 ms for a 100k-epoch chart,
 * ten times the cost of filling warm memory). Held weakly, so an app that charted one long run does
 * not keep the memory for good.
 */
let spareBuffer: WeakRef<Float64Array> | undefined;

/**
 * Hands the table's buffers back for reuse by the next `readMetricTable`: the caller must not read
 * the columns afterwards (they will be overwritten).
 */
export function releaseMetricTable(table: MetricTable): void {
  let largest: Float64Array | undefined;
  for (const buffer of table.buffers) if (!largest || buffer.length > largest.length) largest = buffer;
  const spare = spareBuffer?.deref();
  if (largest && (!spare || largest.length > spare.length)) spareBuffer = new WeakRef(largest);
}

/**
 * A source of `NaN`-filled columns of `length` values, carved from shared buffers 64 bytes apart
 * (the spare buffer first, when large enough): separately allocated large arrays all start at the
 * same offset in a page, and writing a dozen of them row by row then thrashes the CPU cache (about
 * 1.5× slower). The buffers used are pushed to `buffers`.
 */
function createColumnPool(length: number, perBuffer: number, buffers: Float64Array[]): () => Float64Array {
  const stride = length + 8;
  let buffer: Float64Array = new Float64Array(0);
  let used = 0;
  return () => {
    if ((used + 1) * stride > buffer.length) {
      const spare = spareBuffer?.deref();
      if (spare && spare.length >= stride) {
        spareBuffer = undefined;
        buffer = spare;
      } else buffer = new Float64Array(stride * perBuffer);
      buffers.push(buffer);
      used = 0;
    }
    const start = stride * used++;
    return buffer.subarray(start, start + length).fill(Number.NaN);
  };
}

/**
 * Reads the rows from `start` on while each one has exactly the key list `keys` (same names, same
 * `for…in` order), writing `epochs[i]` and each finite value into its position's column (`null`: not
 * loaded); returns the index of the first row that differs (or `rows.length`).
 */
type ShapeReader = (rows: readonly EpochMetrics[], start: number, keys: readonly string[], epochs: Float64Array, columns: readonly (Float64Array | null)[]) => number;

/**
 * Readers by shape (key list plus which positions are loaded), kept across calls so that V8 has
 * optimised them by the next chart of the same run.
 */
const shapeReaders = new Map<string, ShapeReader>();
/** Cleared for good once code generation turns out to be disallowed (`--disallow-code-generation-from-strings`, a CSP without 'unsafe-eval'). */
let codegenAllowed = true;
const MAX_SHAPE_READERS = 64;
/** New readers generated per call at most: a series whose rows all differ stays on the generic loop. */
const MAX_NEW_READERS_PER_CALL = 8;
/** Reader look-ups per call that may read no row (the shape has none, or the next row differs) before the call stops looking. */
const MAX_READER_MISSES_PER_CALL = 32;
/** Shorter series are read by the generic loop: generating and optimising a reader costs more than it saves. */
const CODEGEN_MIN_ROWS = 256;

/**
 * A reader generated for one shape: the loop of `readMetricTable` with every wanted value loaded by a
 * constant name (`m["train/box_loss"]`) instead of a `for…in` key. Why: V8 loads a double field by a
 * constant name straight into the column, whereas a keyed load boxes each value in a fresh HeapNumber
 * (a million allocations and a GC per 100k-epoch chart). The `for…in` is kept, comparing names only
 * (no value loaded), to check that each row has the shape. The names reach the code only as
 * `JSON.stringify` output, which is always one complete, escaped string literal (no injection,
 * whatever a name holds); columns and keys are passed in, never embedded. `undefined` when code
 * generation is disallowed (EvalError).
 */
function generateShapeReader(keys: readonly string[], loaded: readonly boolean[]): ShapeReader | undefined {
  const loads: string[] = [];
  const locals: string[] = [];
  keys.forEach((name, position) => {
    if (!loaded[position]) return;
    locals.push(`c${position} = columns[${position}]`);
    loads.push(`v = m[${JSON.stringify(name)}]; if (typeof v === 'number' && Number.isFinite(v)) c${position}[i] = v;`);
  });
  const body = [
    '"use strict";',
    `const n = rows.length, count = ${keys.length}${locals.map((local) => `, ${local}`).join('')};`,
    'for (let i = start; i < n; i++) {',
    '  const row = rows[i], epoch = row.epoch, m = row.metrics;',
    '  let k = 0, v;',
    '  for (const name in m) if (name !== keys[k++]) return i;',
    '  if (k !== count) return i;',
    '  epochs[i] = epoch;',
    ...loads.map((load) => `  ${load}`),
    '}',
    'return n;',
  ].join('\n');
  try {
    return new Function('rows', 'start', 'keys', 'epochs', 'columns', body) as ShapeReader;
  } catch (error) {
    if (error instanceof EvalError) return undefined;
    throw error;
  }
}

/**
 * `collectMetricSources` of the rows, their epochs, and the columns of the stored names whose canonical
 * key `wanted` accepts, in one pass: the hot path of long runs. Each row is read by the generic loop
 * below (one `for…in`; while rows share their key list, each position's column is cached, and values
 * nobody wants are never loaded) until its shape is known, then by the shape's generated reader while
 * the rows keep that shape (see `generateShapeReader`).
 */
export function readMetricTable(rows: readonly EpochMetrics[], wanted: (key: string) => boolean): MetricTable {
  const names = new Map<string, Float64Array | null>();
  const buffers: Float64Array[] = [];
  const newColumn = createColumnPool(rows.length, Math.max(4, Object.keys(rows[0]?.metrics ?? {}).length), buffers);
  const keys: string[] = [];
  const cached: (Float64Array | null)[] = [];
  const epochs = new Float64Array(rows.length);
  // Budgets that bound the cost of shapes that do not pay off (rows that all differ, shapes taking turns).
  let newReaders = MAX_NEW_READERS_PER_CALL;
  let misses = rows.length >= CODEGEN_MIN_ROWS ? MAX_READER_MISSES_PER_CALL : 0;
  for (let i = 0; i < rows.length; ) {
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
    i++;
    if (misses === 0 || !codegenAllowed) continue;
    // This row's shape is known now (its names all have their column): the next rows of the same shape go through its reader.
    const shapeKeys = keys.slice(0, position);
    const loaded = cached.slice(0, position).map((column) => column !== null);
    const id = `${loaded.map((on) => (on ? 1 : 0)).join('')}:${JSON.stringify(shapeKeys)}`;
    let reader = shapeReaders.get(id);
    if (!reader && newReaders > 0) {
      newReaders--;
      reader = generateShapeReader(shapeKeys, loaded);
      if (!reader) codegenAllowed = false;
      else {
        if (shapeReaders.size >= MAX_SHAPE_READERS) shapeReaders.clear();
        shapeReaders.set(id, reader);
      }
    }
    const next = reader ? reader(rows, i, shapeKeys, epochs, cached) : i;
    if (next === i) misses--;
    i = next;
  }
  const columns = new Map<string, Float64Array>();
  for (const [name, column] of names) if (column) columns.set(name, column);
  return { sources: sourcesOf(names.keys()), epochs, columns, buffers };
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
