/** A y value that may be missing: `null`, `undefined` and non-finite numbers are gaps. */
export type MaybeNumber = number | null | undefined;

const isValue = (y: MaybeNumber): y is number => typeof y === 'number' && Number.isFinite(y);

/**
 * Largest-Triangle-Three-Buckets over the points `(xs[i], ys[i])`, all with finite y: returns
 * `min(threshold, length)` indices, always the first and the last.
 * @see https://skemman.is/handle/1946/15343 (Steinarsson, 2013, algorithm 4.2)
 */
function lttbDense(xs: ArrayLike<number>, ys: ArrayLike<number>, threshold: number): number[] {
  const count = xs.length;
  if (count <= threshold) return Array.from({ length: count }, (_, i) => i);
  const every = (count - 2) / (threshold - 2);
  const out: number[] = [0];
  let a = 0;
  for (let i = 0; i < threshold - 2; i++) {
    const avgStart = Math.floor((i + 1) * every) + 1;
    const avgEnd = Math.min(Math.floor((i + 2) * every) + 1, count);
    let avgX = 0;
    let avgY = 0;
    for (let j = avgStart; j < avgEnd; j++) {
      avgX += xs[j] as number;
      avgY += ys[j] as number;
    }
    avgX /= avgEnd - avgStart;
    avgY /= avgEnd - avgStart;
    const ax = xs[a] as number;
    const ay = ys[a] as number;
    const rangeEnd = Math.floor((i + 1) * every) + 1;
    let maxArea = -1;
    for (let j = Math.floor(i * every) + 1; j < rangeEnd; j++) {
      const area = Math.abs((ax - avgX) * ((ys[j] as number) - ay) - (ax - (xs[j] as number)) * (avgY - ay)) * 0.5;
      if (area > maxArea) {
        maxArea = area;
        a = j;
      }
    }
    out.push(a);
  }
  out.push(count - 1);
  return out;
}

/** LTTB over the valued points `finite` only (compacted first): positions into `finite`. */
function lttbPositions(xs: ArrayLike<number>, ys: ArrayLike<MaybeNumber>, finite: Int32Array, threshold: number): number[] {
  const fx = new Float64Array(finite.length);
  const fy = new Float64Array(finite.length);
  for (let k = 0; k < finite.length; k++) {
    fx[k] = xs[finite[k] as number] as number;
    fy[k] = ys[finite[k] as number] as number;
  }
  return lttbDense(fx, fy, threshold);
}

function allValued(ys: ArrayLike<MaybeNumber>): ys is ArrayLike<number> {
  for (let i = 0; i < ys.length; i++) if (!isValue(ys[i])) return false;
  return true;
}

/** Positions of points with a value, and for each such point the first gap index after it (or -1). */
function scanGaps(ys: ArrayLike<MaybeNumber>): { finite: Int32Array; gapAfter: Int32Array; gaps: number } {
  const n = ys.length;
  const finite = new Int32Array(n);
  const gapAfter = new Int32Array(n).fill(-1);
  let count = 0;
  let gaps = 0;
  let pendingGap = -1;
  for (let i = 0; i < n; i++) {
    if (!isValue(ys[i])) {
      if (pendingGap < 0 && count > 0) pendingGap = i;
      continue;
    }
    if (pendingGap >= 0) {
      gapAfter[count - 1] = pendingGap;
      gaps++;
      pendingGap = -1;
    }
    finite[count++] = i;
  }
  return { finite: finite.subarray(0, count), gapAfter: gapAfter.subarray(0, count), gaps };
}

/** Maps kept positions back to indices, adding the first index of any gap that lies between two kept points. */
function withGapMarkers(kept: readonly number[], finite: Int32Array, gapAfter: Int32Array | undefined): number[] {
  const out: number[] = [];
  for (let k = 0; k < kept.length; k++) {
    const from = kept[k] as number;
    out.push(finite[from] as number);
    const to = kept[k + 1];
    if (to === undefined || !gapAfter) continue;
    for (let j = from; j < to; j++) {
      if ((gapAfter[j] as number) >= 0) {
        out.push(gapAfter[j] as number);
        break;
      }
    }
  }
  return out;
}

/**
 * Indices (ascending) of the points that Largest-Triangle-Three-Buckets keeps from the series `(xs[i], ys[i])`.
 * With `threshold ≥ length` every index is kept. Otherwise gaps (`null`, `undefined`, NaN, ±Infinity) are
 * handled like this: leading and trailing gaps are dropped; each interior gap of G costs one slot, so LTTB
 * runs over the valued points with `threshold − G` buckets and the first index of every gap that falls
 * between two kept points is kept too (a chart breaks its line there); when `threshold − G < 3`, gaps are
 * ignored and LTTB runs with `threshold` buckets. The first and last valued points are always kept and the
 * result never exceeds `threshold` indices. Throws `RangeError` for a non-integer threshold or one below 3
 * (when downsampling is needed) and for `xs`/`ys` of different lengths.
 * @see https://github.com/sveinn-steinarsson/flot-downsample
 * @example lttbIndices([1, 2, 3, 4, 5], [1, 5, 2, 6, 3], 3) // [0, 1, 4]
 */
export function lttbIndices(xs: ArrayLike<number>, ys: ArrayLike<MaybeNumber>, threshold: number): number[] {
  if (xs.length !== ys.length) throw new RangeError(`lttb: xs has ${xs.length} points but ys has ${ys.length}`);
  if (!Number.isInteger(threshold) || threshold < 0) throw new RangeError(`lttb: threshold must be a non-negative integer (got ${threshold})`);
  const n = xs.length;
  if (threshold >= n) return Array.from({ length: n }, (_, i) => i);
  if (threshold < 3) throw new RangeError(`lttb: threshold must be at least 3 to downsample (got ${threshold})`);
  if (allValued(ys)) return lttbDense(xs, ys, threshold);
  const { finite, gapAfter, gaps } = scanGaps(ys);
  if (finite.length + gaps <= threshold) {
    return withGapMarkers(Array.from({ length: finite.length }, (_, i) => i), finite, gapAfter);
  }
  const budget = threshold - gaps;
  if (budget < 3) return withGapMarkers(lttbPositions(xs, ys, finite, threshold), finite, undefined);
  return withGapMarkers(lttbPositions(xs, ys, finite, budget), finite, gapAfter);
}

/**
 * The `[x, y]` points that Largest-Triangle-Three-Buckets keeps (same rules as `lttbIndices`).
 * @example lttb([[1, 1], [2, 5], [3, 2], [4, 6], [5, 3]], 3) // [[1, 1], [2, 5], [5, 3]]
 */
export function lttb<P extends readonly [number, MaybeNumber]>(points: readonly P[], threshold: number): P[] {
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  return lttbIndices(xs, ys, threshold).map((i) => points[i] as P);
}
