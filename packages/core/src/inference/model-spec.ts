import { UnsupportedError } from '../errors.js';
import type { DetectionLayout, DetectionModelSpec, OnnxModelInfo, OnnxTensorInfo } from './inference.types.js';
import { readUltralyticsMetadata, type UltralyticsMetadata } from './onnx/ultralytics-metadata.js';

/** FLOAT, FLOAT16, DOUBLE, BFLOAT16 */
const FLOAT_TYPES = new Set([1, 10, 11, 16]);
/** K of an end-to-end output `[B, K, 6]` above which, without metadata, we read it as YOLOv5 with one class. */
const MAX_END2END_DETECTIONS = 1000;
const DEFAULT_SIZE = 640;
/** Input sides and batch a model may ask for: beyond them one input tensor alone would take gigabytes. */
export const MODEL_INPUT_LIMITS = { minSide: 32, maxSide: 4096, maxBatch: 64 } as const;

export interface DescribeDetectionModelOptions {
  /** Class names from model.json; used when non-empty, before metadata `names`. */
  classes?: readonly string[];
}

const fixed = (d: number | string | null | undefined): number | undefined => (typeof d === 'number' && d > 0 ? d : undefined);
const shapeText = (t: OnnxTensorInfo): string => `${t.name} [${t.dims.map((d) => d ?? '?').join(', ')}]`;

/** `inputs: images [1, 3, 640, 640]; outputs: output0 [1, 84, 8400]` — for error messages. */
export function describeShapes(info: OnnxModelInfo): string {
  return `inputs: ${info.inputs.map(shapeText).join(', ') || 'none'}; outputs: ${info.outputs.map(shapeText).join(', ') || 'none'}`;
}

function unsupported(why: string, info: OnnxModelInfo, extra: Record<string, unknown> = {}): UnsupportedError {
  return new UnsupportedError(`unsupported detection model: ${why} (${describeShapes(info)})`, {
    reason: 'unsupported_model_layout',
    details: { inputs: info.inputs, outputs: info.outputs, ...extra },
  });
}

/**
 * Whether an output declares too little to read a layout from: no shape at all, or a dim that is not a
 * fixed number. `undefined` when every dim is fixed (what it declares is what it is).
 */
function undeclaredShape(output: OnnxTensorInfo): 'undeclared' | 'symbolic' | undefined {
  if (output.dims.length === 0) return 'undeclared';
  return output.dims.every((d) => fixed(d) !== undefined) ? undefined : 'symbolic';
}

/** The layout error of an output whose shape is undeclared or symbolic: only a run of the model can tell. */
function probeNeeded(output: OnnxTensorInfo, how: 'undeclared' | 'symbolic', info: OnnxModelInfo): UnsupportedError {
  const what = how === 'undeclared' ? 'declares no shape' : `declares no usable shape (${shapeText(output)} has symbolic dims)`;
  return unsupported(
    `output ${output.name} ${what}, so its layout can only be read from a probe run (one run on a dummy input), and no probe is available here (the node platform probes at upload and load)`,
    info, { output_shape: how },
  );
}

/** True for the error `describeDetectionModel` throws when output 0's shape is undeclared or symbolic (a probe run would tell). */
export function needsOutputProbe(error: unknown): boolean {
  return error instanceof UnsupportedError && error.reason === 'unsupported_model_layout' && error.details.output_shape !== undefined;
}

/** The image input a probe run feeds: fixed dims as declared, a symbolic batch as 1, channels 3, symbolic H/W as metadata `imgsz`, else 640. */
export function probeInputShape(info: OnnxModelInfo): { inputName: string; inputDims: number[] } {
  const input = imageInput(info);
  if (input === undefined) throw unsupported('no 4-D float image input', info);
  const [imgH, imgW] = readUltralyticsMetadata(info.metadata).imgsz ?? [DEFAULT_SIZE, DEFAULT_SIZE];
  const [b, c, h, w] = input.dims;
  return { inputName: input.name, inputDims: [fixed(b) ?? 1, fixed(c) ?? 3, fixed(h) ?? imgH, fixed(w) ?? imgW] };
}

const imageInput = (info: OnnxModelInfo): OnnxTensorInfo | undefined => info.inputs.find((i) => i.dims.length === 4 && FLOAT_TYPES.has(i.elemType));

/**
 * Derives how to run a detection model from what its ONNX file says: the NCHW float image input, its
 * size (fixed, or metadata `imgsz`/640 when dynamic), the layout of output 0, class count and names.
 *
 * Layout of output 0 `[B, A, C]`, first rule that matches:
 * 1. metadata `end2end` is `True` → `end2end` (C must be 6);
 * 2. C equals the anchor count of the input size (Σ (H/s)(W/s) over strides 8…stride) → `v8`;
 *    A equals 3× that count → `v5` (this is what tells a 1-class YOLOv5 `[B, 25200, 6]` from end-to-end);
 * 3. C = 6, K = A ≤ 1000 and metadata `end2end` is not `False` → `end2end`;
 * 4. C > A (or C symbolic) → `v8` with nc = A − 4; A > C (or A symbolic) → `v5` with nc = C − 5.
 * An output 0 that declares no shape, or symbolic dims no rule can read, throws the layout error with
 * `details.output_shape` set (`needsOutputProbe`): `resolveDetectionModel` then reads its real dims from one run.
 * Segment/pose exports (metadata `task`) keep their extra rows (mask coefficients, keypoints) after
 * the class scores; nc excludes them. Classify and OBB models, and anything else, throw
 * `UnsupportedError` naming every input and output shape.
 * @example
 * const spec = describeDetectionModel(readOnnxModelInfo(bytes), { classes: modelJson.classes });
 */
export function describeDetectionModel(info: OnnxModelInfo, options: DescribeDetectionModelOptions = {}): DetectionModelSpec {
  const meta = readUltralyticsMetadata(info.metadata);
  if (meta.task === 'classify' || meta.task === 'obb') throw unsupported(`metadata task is '${meta.task}', not detection`, info);
  const input = imageInput(info);
  if (input === undefined) throw unsupported('no 4-D float image input', info);
  const channels = input.dims[1];
  if (typeof channels === 'number' && channels !== 3) throw unsupported(`input ${input.name} has ${channels} channels, expected NCHW with 3`, info);
  const output = info.outputs[0];
  if (output === undefined) throw unsupported('the model has no outputs', info);
  const [imgH, imgW] = meta.imgsz ?? [DEFAULT_SIZE, DEFAULT_SIZE];
  const inputHeight = fixed(input.dims[2]) ?? imgH;
  const inputWidth = fixed(input.dims[3]) ?? imgW;
  const stride = meta.stride ?? 32;
  for (const [what, side] of [['height', inputHeight], ['width', inputWidth]] as const) {
    if (!Number.isSafeInteger(side) || side < MODEL_INPUT_LIMITS.minSide || side > MODEL_INPUT_LIMITS.maxSide) {
      throw unsupported(`input ${what} ${side} is outside ${MODEL_INPUT_LIMITS.minSide}–${MODEL_INPUT_LIMITS.maxSide} pixels`, info);
    }
  }
  const batchDim = fixed(input.dims[0]);
  if (batchDim !== undefined && batchDim > MODEL_INPUT_LIMITS.maxBatch) throw unsupported(`input batch ${batchDim} is over ${MODEL_INPUT_LIMITS.maxBatch}`, info);
  const names = options.classes !== undefined && options.classes.length > 0 ? [...options.classes] : meta.names;
  const found = detectLayout(output, { info, meta, anchors: anchorCount(inputHeight, inputWidth, stride) });
  if (found === undefined) {
    const how = undeclaredShape(output);
    if (how !== undefined) throw probeNeeded(output, how, info);
    throw unsupported(`output ${output.name} is not a detection layout ([B, 4+nc, N], [B, N, 5+nc] or [B, K, 6])`, info);
  }
  const numClasses = found.layout === 'end2end' ? (names?.length ?? 0) : found.numClasses;
  return {
    inputName: input.name,
    outputName: output.name,
    inputWidth,
    inputHeight,
    dynamicSize: fixed(input.dims[2]) === undefined || fixed(input.dims[3]) === undefined,
    batch: fixed(input.dims[0]) ?? 'dynamic',
    layout: found.layout,
    numClasses,
    classNames: Array.from({ length: numClasses }, (_, i) => names?.[i] ?? `class_${i}`),
    stride,
    metadata: info.metadata,
  };
}

/** Anchor points of a YOLO head on an H×W input: one per cell of each level, strides 8, 16, … `maxStride`. */
function anchorCount(height: number, width: number, maxStride: number): number {
  let total = 0;
  for (let s = 8; s <= maxStride; s *= 2) total += Math.ceil(height / s) * Math.ceil(width / s);
  return total;
}

interface LayoutContext {
  info: OnnxModelInfo;
  meta: UltralyticsMetadata;
  anchors: number;
}

/** Rows after the class scores: mask coefficients (segment) or keypoints (pose). */
function extraRows({ info, meta }: LayoutContext): number {
  if (meta.task === 'segment') return fixed(info.outputs[1]?.dims.length === 4 ? info.outputs[1].dims[1] : undefined) ?? 32;
  if (meta.task === 'pose') return (meta.kptShape ?? [17, 3]).reduce((a, b) => a * b, 1);
  return 0;
}

function detectLayout(output: OnnxTensorInfo, ctx: LayoutContext): { layout: DetectionLayout; numClasses: number } | undefined {
  if (output.dims.length !== 3) return undefined;
  const a = fixed(output.dims[1]);
  const c = fixed(output.dims[2]);
  const extra = extraRows(ctx);
  const v8 = a !== undefined && a > 4 + extra ? { layout: 'v8' as const, numClasses: a - 4 - extra } : undefined;
  const v5 = c !== undefined && c > 5 + extra ? { layout: 'v5' as const, numClasses: c - 5 - extra } : undefined;
  const end2end = c === 6 ? { layout: 'end2end' as const, numClasses: 0 } : undefined;
  if (ctx.meta.end2end === true) return end2end;
  if (v8 && c === ctx.anchors) return v8;
  if (v5 && a === 3 * ctx.anchors) return v5;
  if (end2end && a !== undefined && a <= MAX_END2END_DETECTIONS && ctx.meta.end2end !== false) return end2end;
  if (v8 && (c === undefined || c > a!)) return v8;
  if (v5 && (a === undefined || a > c!)) return v5;
  return undefined;
}
