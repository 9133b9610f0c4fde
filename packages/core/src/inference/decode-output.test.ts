import { describe, expect, test } from 'vitest';
import { decodeDetections } from './decode-output.js';
import type { DetectionLayout, LetterboxTransform } from './inference.types.js';

const NAMES = ['person', 'bus', 'tie'];
/** Identity transform on a 640×640 image. */
const SAME: LetterboxTransform = { scale: 1, padX: 0, padY: 0, width: 640, height: 640 };

/** One object: centre, size, class, per-class score (objectness 1 for v5). */
interface Obj { cx: number; cy: number; w: number; h: number; cls: number; score: number }

/** The same objects in each layout: v8 `[B, 4+nc, N]`, v5 `[B, N, 5+nc]`, end2end `[B, K, 6]`, N anchors (rest empty). */
function tensor(layout: DetectionLayout, items: Obj[][], n = 16): { data: Float32Array; dims: number[] } {
  const nc = NAMES.length;
  if (layout === 'v8') {
    const data = new Float32Array(items.length * (4 + nc) * n);
    items.forEach((objs, b) => objs.forEach((o, i) => {
      const at = (row: number) => b * (4 + nc) * n + row * n + i;
      [o.cx, o.cy, o.w, o.h].forEach((v, row) => (data[at(row)] = v));
      data[at(4 + o.cls)] = o.score;
      data[at(4 + ((o.cls + 1) % nc))] = o.score / 2; // a runner-up class
    }));
    return { data, dims: [items.length, 4 + nc, n] };
  }
  if (layout === 'v5') {
    const cols = 5 + nc;
    const data = new Float32Array(items.length * n * cols);
    items.forEach((objs, b) => objs.forEach((o, i) => {
      data.set([o.cx, o.cy, o.w, o.h, 0.5], (b * n + i) * cols);
      data[(b * n + i) * cols + 5 + o.cls] = o.score * 2; // objectness 0.5 × class 2s = s
    }));
    return { data, dims: [items.length, n, cols] };
  }
  const data = new Float32Array(items.length * n * 6);
  items.forEach((objs, b) => objs.forEach((o, i) => data.set([o.cx - o.w / 2, o.cy - o.h / 2, o.cx + o.w / 2, o.cy + o.h / 2, o.score, o.cls], (b * n + i) * 6)));
  return { data, dims: [items.length, n, 6] };
}

const OBJECTS: Obj[] = [
  { cx: 100, cy: 100, w: 40, h: 80, cls: 0, score: 0.5 },
  { cx: 300, cy: 300, w: 200, h: 100, cls: 1, score: 0.875 },
  { cx: 500, cy: 120, w: 20, h: 60, cls: 2, score: 0.25 }, // exactly the default threshold: dropped
];

describe('decodeDetections', () => {
  test.each(['v8', 'v5', 'end2end'] as const)('decodes the %s layout to the same boxes, best first', (layout) => {
    const { data, dims } = tensor(layout, [OBJECTS]);
    const [detections] = decodeDetections(data, dims, { layout, classNames: NAMES }, [SAME]);
    expect(detections).toEqual([
      { class_id: 1, class_name: 'bus', conf: 0.875, confidence: 0.875, x1: 200, y1: 250, x2: 400, y2: 350 },
      { class_id: 0, class_name: 'person', conf: 0.5, confidence: 0.5, x1: 80, y1: 60, x2: 120, y2: 140 },
    ]);
  });

  test('maps boxes through the letterbox transform and clips them', () => {
    const { data, dims } = tensor('v8', [[{ cx: 320, cy: 320, w: 640, h: 200, cls: 0, score: 0.9 }]]);
    const t: LetterboxTransform = { scale: 0.5, padX: 0, padY: 140, width: 1280, height: 720 };
    const [[d]] = decodeDetections(data, dims, { layout: 'v8', classNames: NAMES }, [t]) as [[object]];
    expect(d).toMatchObject({ x1: 0, y1: 160, x2: 1280, y2: 560 });
  });

  test('decodes each batch item with its own transform and skips padding items', () => {
    const { data, dims } = tensor('v8', [[OBJECTS[0]!], [OBJECTS[1]!], [OBJECTS[1]!]]);
    const half: LetterboxTransform = { scale: 0.5, padX: 0, padY: 0, width: 1280, height: 1280 };
    const out = decodeDetections(data, dims, { layout: 'v8', classNames: NAMES }, [SAME, half]);
    expect(out).toHaveLength(2);
    expect(out[0]!.map((d) => d.class_name)).toEqual(['person']);
    expect(out[1]!.map((d) => [d.class_name, d.x1, d.x2])).toEqual([['bus', 400, 800]]);
  });

  test('applies conf, iou and maxDet per call', () => {
    const twins = [OBJECTS[1]!, { ...OBJECTS[1]!, cx: 310, score: 0.8 }, OBJECTS[0]!];
    const { data, dims } = tensor('v8', [twins]);
    const decode = (options: object) => decodeDetections(data, dims, { layout: 'v8', classNames: NAMES }, [SAME], options)[0]!.map((d) => d.conf);
    expect(decode({})).toEqual([0.875, 0.5]); // the 0.8 twin overlaps the 0.875 one (IoU 0.9)
    expect(decode({ iou: 0.95 })).toEqual([0.875, Math.fround(0.8), 0.5]);
    expect(decode({ conf: 0.6 })).toEqual([0.875]);
    expect(decode({ iou: 0.95, maxDet: 2 })).toEqual([0.875, Math.fround(0.8)]);
  });

  test('v5 scores are objectness × class score, and low objectness is dropped first', () => {
    const { data, dims } = tensor('v5', [[OBJECTS[1]!]]);
    data[4] = 0.2; // objectness under the threshold, however high the class score
    expect(decodeDetections(data, dims, { layout: 'v5', classNames: NAMES }, [SAME])[0]).toEqual([]);
  });

  test('end2end keeps overlapping boxes (the model did NMS) and names unknown classes class_<i>', () => {
    const { data, dims } = tensor('end2end', [[OBJECTS[1]!, { ...OBJECTS[1]!, cls: 7, score: 0.75 }]]);
    const [detections] = decodeDetections(data, dims, { layout: 'end2end', classNames: NAMES }, [SAME]);
    expect(detections!.map((d) => d.class_name)).toEqual(['bus', 'class_7']);
  });

  test('rejects a shape that does not fit the layout, naming it', () => {
    expect(() => decodeDetections(new Float32Array(12), [1, 2, 6], { layout: 'v8', classNames: NAMES }, [SAME])).toThrow(/\[1, 2, 6\].*v8/);
  });
});
