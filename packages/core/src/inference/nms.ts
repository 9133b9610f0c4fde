/** Candidate boxes for NMS, structure-of-arrays: `boxes` holds `x1, y1, x2, y2` per candidate. */
export interface NmsCandidates {
  boxes: ArrayLike<number>;
  scores: ArrayLike<number>;
  classes: ArrayLike<number>;
  /** Number of candidates (default `scores.length`). */
  count?: number;
}

export interface NmsOptions {
  /** Boxes of the same class overlapping a kept one by more than this IoU are dropped (default 0.7). */
  iou?: number;
  /** Most boxes kept (default 300). */
  maxDet?: number;
  /** Compare boxes across classes too (default false: class-aware, like Ultralytics). */
  agnostic?: boolean;
}

/** Indices of `scores[0..count)` by score, highest first; equal scores keep index order. */
export function sortByScore(scores: ArrayLike<number>, count: number): Uint32Array {
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  return order.sort((a, b) => scores[b]! - scores[a]! || a - b);
}

/**
 * Greedy class-aware non-maximum suppression: walks candidates by score (ties by index), keeps a box
 * unless a kept box of its class overlaps it with IoU > `iou`, stops at `maxDet`. Returns kept
 * indices, highest score first — the set `torchvision.ops.nms` keeps on class-offset boxes.
 * @example
 * nonMaxSuppression({ boxes: [0, 0, 10, 10, 1, 1, 11, 11], scores: [0.9, 0.8], classes: [0, 0] }); // [0]
 */
export function nonMaxSuppression(candidates: NmsCandidates, options: NmsOptions = {}): number[] {
  const { boxes, scores, classes } = candidates;
  const count = candidates.count ?? scores.length;
  const iouThreshold = options.iou ?? 0.7;
  const maxDet = options.maxDet ?? 300;
  const order = sortByScore(scores, count);
  const kept: number[] = [];
  // Kept boxes per class, packed x1,y1,x2,y2,area, so each check reads only same-class boxes.
  const byClass = new Map<number, number[]>();
  for (let n = 0; n < count && kept.length < maxDet; n++) {
    const i = order[n]!;
    const x1 = boxes[4 * i]!, y1 = boxes[4 * i + 1]!, x2 = boxes[4 * i + 2]!, y2 = boxes[4 * i + 3]!;
    const area = Math.max(0, x2 - x1) * Math.max(0, y2 - y1);
    const key = options.agnostic ? 0 : classes[i]!;
    let bucket = byClass.get(key);
    if (bucket === undefined) byClass.set(key, (bucket = []));
    if (overlapsAny(bucket, x1, y1, x2, y2, area, iouThreshold)) continue;
    bucket.push(x1, y1, x2, y2, area);
    kept.push(i);
  }
  return kept;
}

function overlapsAny(bucket: number[], x1: number, y1: number, x2: number, y2: number, area: number, threshold: number): boolean {
  for (let k = 0; k < bucket.length; k += 5) {
    const w = Math.min(x2, bucket[k + 2]!) - Math.max(x1, bucket[k]!);
    if (w <= 0) continue;
    const h = Math.min(y2, bucket[k + 3]!) - Math.max(y1, bucket[k + 1]!);
    if (h <= 0) continue;
    const inter = w * h;
    if (inter / (area + bucket[k + 4]! - inter) > threshold) return true;
  }
  return false;
}

/** Intersection over union of two `x1, y1, x2, y2` boxes (0 when they do not overlap). */
export function boxIou(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const w = Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!);
  const h = Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  const union = (a[2]! - a[0]!) * (a[3]! - a[1]!) + (b[2]! - b[0]!) * (b[3]! - b[1]!) - inter;
  return union > 0 ? inter / union : 0;
}
