import { UnsupportedError } from '../errors.js';
import type { Detection, DetectionModelSpec, DetectOptions, LetterboxTransform } from './inference.types.js';
import { nonMaxSuppression, sortByScore } from './nms.js';

/** Candidates of one image in model-input pixels (`x1, y1, x2, y2`), reused between calls. */
interface Candidates {
  boxes: Float32Array;
  scores: Float32Array;
  classes: Int32Array;
  count: number;
}

let flags = new Uint8Array(0);
let scratch: Candidates = { boxes: new Float32Array(0), scores: new Float32Array(0), classes: new Int32Array(0), count: 0 };

function candidates(capacity: number): Candidates {
  if (scratch.scores.length < capacity) {
    scratch = { boxes: new Float32Array(4 * capacity), scores: new Float32Array(capacity), classes: new Int32Array(capacity), count: 0 };
  }
  scratch.count = 0;
  return scratch;
}

function pushXywh(c: Candidates, cx: number, cy: number, w: number, h: number, score: number, cls: number): void {
  const k = c.count++;
  c.boxes[4 * k] = cx - w / 2;
  c.boxes[4 * k + 1] = cy - h / 2;
  c.boxes[4 * k + 2] = cx + w / 2;
  c.boxes[4 * k + 3] = cy + h / 2;
  c.scores[k] = score;
  c.classes[k] = cls;
}

/**
 * YOLOv8/11 `[B, 4+nc, N]`, read in place (no transpose). Threshold first: one sequential pass per class
 * row flags the anchors with any score above `conf` (a branch almost never taken), then only those
 * anchors look for their best class.
 */
function collectV8(out: Float32Array, base: number, rows: number, n: number, conf: number): Candidates {
  const found = candidates(n);
  const scores = base + 4 * n;
  const classes = rows - 4;
  if (flags.length < n) flags = new Uint8Array(n);
  flags.fill(0, 0, n);
  for (let c = 0; c < classes; c++) {
    const row = scores + c * n;
    for (let i = 0; i < n; i++) if (out[row + i]! > conf) flags[i] = 1;
  }
  for (let i = 0; i < n; i++) {
    if (flags[i] === 0) continue;
    let top = out[scores + i]!;
    let cls = 0;
    for (let c = 1; c < classes; c++) {
      const v = out[scores + c * n + i]!;
      if (v > top) {
        top = v;
        cls = c;
      }
    }
    pushXywh(found, out[base + i]!, out[base + n + i]!, out[base + 2 * n + i]!, out[base + 3 * n + i]!, top, cls);
  }
  return found;
}

/** YOLOv5 `[B, N, 5+nc]`: objectness first (it bounds the score), then score = obj × best class score. */
function collectV5(out: Float32Array, base: number, n: number, cols: number, conf: number): Candidates {
  const found = candidates(n);
  for (let i = 0; i < n; i++) {
    const row = base + i * cols;
    const obj = out[row + 4]!;
    if (!(obj > conf)) continue;
    let cls = 0;
    let top = out[row + 5]!;
    for (let c = 1; c < cols - 5; c++) {
      const v = out[row + 5 + c]!;
      if (v > top) {
        top = v;
        cls = c;
      }
    }
    const score = Math.fround(obj * top);
    if (score > conf) pushXywh(found, out[row]!, out[row + 1]!, out[row + 2]!, out[row + 3]!, score, cls);
  }
  return found;
}

/** End-to-end `[B, K, 6]` (`x1, y1, x2, y2, score, class`): threshold only, the model did NMS. */
function collectEnd2End(out: Float32Array, base: number, k: number, cols: number, conf: number): Candidates {
  const found = candidates(k);
  for (let i = 0; i < k; i++) {
    const row = base + i * cols;
    const score = out[row + 4]!;
    if (!(score > conf)) continue;
    const j = found.count++;
    found.boxes.set(out.subarray(row, row + 4), 4 * j);
    found.scores[j] = score;
    found.classes[j] = Math.round(out[row + 5]!);
  }
  return found;
}

function toDetection(c: Candidates, i: number, t: LetterboxTransform, names: readonly string[]): Detection {
  const map = (v: number, pad: number, max: number) => Math.fround(Math.min(Math.max((v - pad) / t.scale, 0), max));
  const classId = c.classes[i]!;
  const conf = c.scores[i]!;
  return {
    class_id: classId,
    class_name: names[classId] ?? `class_${classId}`,
    conf,
    confidence: conf,
    x1: map(c.boxes[4 * i]!, t.padX, t.width),
    y1: map(c.boxes[4 * i + 1]!, t.padY, t.height),
    x2: map(c.boxes[4 * i + 2]!, t.padX, t.width),
    y2: map(c.boxes[4 * i + 3]!, t.padY, t.height),
  };
}

function checkDims(dims: readonly number[], layout: DetectionModelSpec['layout']): void {
  const [, a = 0, b = 0] = dims;
  const ok = dims.length === 3 && (layout === 'v8' ? a > 4 : layout === 'v5' ? b > 5 : b >= 6);
  if (!ok) throw new UnsupportedError(`output of shape [${dims.join(', ')}] does not fit the ${layout} detection layout`, { reason: 'unsupported_layout', details: { dims: [...dims], layout } });
}

/**
 * Decodes a detection model's output into detections per image, in original-image pixels, highest
 * confidence first: threshold (`conf`, default 0.25, strictly greater), class-aware NMS (`iou` 0.7,
 * not for `end2end`), at most `maxDet` (300), boxes un-letterboxed and clipped. Item `b` of the batch
 * is decoded with `transforms[b]`; items past `transforms.length` (batch padding) are skipped.
 * @example
 * const [detections] = decodeDetections(out.data, out.dims, spec, [transform], { conf: 0.25 });
 * @see https://docs.ultralytics.com/modes/predict/#inference-arguments
 */
export function decodeDetections(
  output: Float32Array,
  dims: readonly number[],
  spec: Pick<DetectionModelSpec, 'layout' | 'classNames'>,
  transforms: readonly LetterboxTransform[],
  options: DetectOptions = {},
): Detection[][] {
  checkDims(dims, spec.layout);
  const [batch = 0, a = 0, b = 0] = dims;
  if (transforms.length > batch) throw new RangeError(`decodeDetections: ${transforms.length} transforms for a batch of ${batch}`);
  const conf = options.conf ?? 0.25;
  const maxDet = options.maxDet ?? 300;
  return transforms.map((t, item) => {
    const base = item * a * b;
    const found = spec.layout === 'v8' ? collectV8(output, base, a, b, conf)
      : spec.layout === 'v5' ? collectV5(output, base, a, b, conf)
        : collectEnd2End(output, base, a, b, conf);
    const kept = spec.layout === 'end2end'
      ? Array.from(sortByScore(found.scores, found.count).subarray(0, maxDet))
      : nonMaxSuppression(found, { iou: options.iou ?? 0.7, maxDet });
    return kept.map((i) => toDetection(found, i, t, spec.classNames));
  });
}
