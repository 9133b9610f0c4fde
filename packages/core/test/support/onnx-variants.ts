/**
 * Test-only ONNX models built on `onnx-builder.ts`: the real fixture re-wired into other output layouts
 * (YOLOv5 `[1,N,85]`, NMS-in-model `[1,K,6]`), tiny constant detectors, and models with external data.
 */
import {
  DataType, encodeModel, float32Bytes, floatTensor, int64Tensor, type AttributeSpec, type NodeSpec, type TensorSpec,
} from './onnx-builder.js';
import { editModel, inspectModel, type InspectedModel, type InspectedTensorInfo } from './onnx-inspect.js';

// ---------------------------------------------------------------------------------------------------------
// Opset-aware node helpers

class NodeList {
  readonly nodes: NodeSpec[] = [];
  readonly inits: TensorSpec[] = [];
  private n = 0;
  constructor(private readonly prefix: string, readonly opset: number) {}

  /** A fresh tensor name. */
  name(hint: string): string {
    return `${this.prefix}${hint}_${this.n++}`;
  }

  add(opType: string, inputs: readonly string[], attributes: readonly AttributeSpec[] = [], outName?: string): string {
    const out = outName ?? this.name(opType.toLowerCase());
    this.nodes.push({ opType, inputs, outputs: [out], name: `${this.prefix}${opType}_${this.nodes.length}`, attributes });
    return out;
  }

  addMulti(opType: string, inputs: readonly string[], outputs: number, attributes: readonly AttributeSpec[] = []): string[] {
    const outs = Array.from({ length: outputs }, (_, i) => this.name(`${opType.toLowerCase()}${i}`));
    this.nodes.push({ opType, inputs, outputs: outs, name: `${this.prefix}${opType}_${this.nodes.length}`, attributes });
    return outs;
  }

  f32(hint: string, values: readonly number[], dims: readonly number[] = [values.length]): string {
    const n = this.name(hint);
    this.inits.push(floatTensor(n, dims, values));
    return n;
  }

  i64(hint: string, values: readonly (number | bigint)[], dims: readonly number[] = [values.length]): string {
    const n = this.name(hint);
    this.inits.push(int64Tensor(n, dims, values));
    return n;
  }

  /** Slice along one axis, [start, end). */
  slice(x: string, axis: number, start: number | bigint, end: number | bigint): string {
    return this.add('Slice', [x, this.i64('starts', [start]), this.i64('ends', [end]), this.i64('axes', [axis])]);
  }

  unsqueeze(x: string, axes: readonly number[], outName?: string): string {
    return this.opset >= 13
      ? this.add('Unsqueeze', [x, this.i64('axes', axes)], [], outName)
      : this.add('Unsqueeze', [x], [{ name: 'axes', ints: axes }], outName);
  }

  /** ReduceMax/ReduceSum…: `axes` undefined reduces everything. */
  reduce(op: 'ReduceMax' | 'ReduceSum', x: string, axes: readonly number[] | undefined, keepdims: boolean): string {
    const keep: AttributeSpec = { name: 'keepdims', i: keepdims ? 1 : 0 };
    const axesAsInput = op === 'ReduceSum' ? this.opset >= 13 : this.opset >= 18;
    if (!axes) return this.add(op, [x], [keep]);
    return axesAsInput ? this.add(op, [x, this.i64('axes', axes)], [keep]) : this.add(op, [x], [keep, { name: 'axes', ints: axes }]);
  }
}

const INT64_MAX = 9223372036854775807n;

/** The fixture-like model's only output, required to be `[B, 4+nc, N]` float. */
function v8Output(info: InspectedModel): InspectedTensorInfo {
  if (info.outputs.length !== 1) throw new Error(`expected one graph output, found ${info.outputs.length}`);
  const out = info.outputs[0]!;
  if (out.dims && out.dims.length !== 3) throw new Error(`output ${out.name}: expected rank 3 [B, 4+nc, N], got [${out.dims.join(', ')}]`);
  if (info.opset < 11) throw new Error(`opset ${info.opset} < 11 is not supported by the wrappers`);
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Layout wrappers

export interface Yolov5WrapOptions {
  /**
   * `ones` (default): objectness column of 1.0, class scores unchanged (bit-exact with the v8 output).
   * `max`: objectness = the anchor's best class score, class scores divided by it (max(obj, 1e-12)), so
   * obj × cls reproduces the v8 scores up to float rounding — a decoder that ignores objectness fails.
   */
  objectness?: 'ones' | 'max';
}

/**
 * The v8-layout model (e.g. the fixture) plus a tail turning `output0` [1, 4+nc, N] into YOLOv5's
 * `output0` [1, N, 5+nc]: cx, cy, w, h, objectness, class scores. The old output is renamed `<name>/v8`.
 */
export function wrapAsYolov5(model: Uint8Array, options: Yolov5WrapOptions = {}): Uint8Array {
  const info = inspectModel(model);
  const out = v8Output(info);
  const raw = `${out.name}/v8`;
  const b = new NodeList('yoloops_v5/', info.opset);
  const t = b.add('Transpose', [raw], [{ name: 'perm', ints: [0, 2, 1] }]);
  const boxes = b.slice(t, 2, 0, 4);
  const scores = b.slice(t, 2, 4, INT64_MAX);
  let obj: string;
  let cls: string;
  if ((options.objectness ?? 'ones') === 'ones') {
    const col = b.slice(t, 2, 0, 1);
    obj = b.add('Add', [b.add('Mul', [col, b.f32('zero', [0], [])]), b.f32('one', [1], [])]);
    cls = scores;
  } else {
    obj = b.reduce('ReduceMax', scores, [2], true);
    cls = b.add('Div', [scores, b.add('Max', [obj, b.f32('eps', [1e-12], [])])]);
  }
  b.add('Concat', [boxes, obj, cls], [{ name: 'axis', i: 2 }], out.name);
  const [d0, d1, d2] = out.dims ?? [1, null, null];
  const channels = typeof d1 === 'number' ? d1 + 1 : 'channels';
  return editModel(model, {
    rename: { [out.name]: raw },
    replaceOutputs: true,
    nodes: b.nodes,
    initializers: b.inits,
    outputs: [{ name: out.name, dims: [d0 ?? null, d2 ?? null, channels] }],
  });
}

export interface End2EndWrapOptions {
  /** NMS score threshold (kept when score > conf, as ONNX NonMaxSuppression does). Default 0.25. */
  conf?: number;
  /** NMS IoU threshold (suppressed when IoU > iou). Default 0.7. */
  iou?: number;
  /** Cap per class and overall. Default 300. */
  maxDet?: number;
  /** Zero-pad to [1, maxDet, 6] like Ultralytics' NMS/end2end exports; default false (dynamic [1, K, 6]). */
  pad?: boolean;
}

/**
 * The v8-layout model plus NMS inside the graph, producing `output0` [1, K, 6]: x1, y1, x2, y2, score, class
 * (input pixels, score-descending). Single label per anchor (its first best class, as ArgMax picks), then
 * ONNX NonMaxSuppression per class (center_point_box = 1), then a TopK capping at `maxDet` overall.
 * Batch 1 only. The old output is renamed `<name>/v8`.
 */
export function wrapAsEnd2End(model: Uint8Array, options: End2EndWrapOptions = {}): Uint8Array {
  const { conf = 0.25, iou = 0.7, maxDet = 300, pad = false } = options;
  const info = inspectModel(model);
  const out = v8Output(info);
  const raw = `${out.name}/v8`;
  const b = new NodeList('yoloops_e2e/', info.opset);

  const t = b.add('Transpose', [raw], [{ name: 'perm', ints: [0, 2, 1] }]); // [1, N, 4+nc]
  const boxes = b.slice(t, 2, 0, 4); // [1, N, 4] cx, cy, w, h
  const scores = b.slice(t, 2, 4, INT64_MAX); // [1, N, nc]
  // Single label: keep each anchor's first best class (ArgMax breaks ties toward the lower index).
  const best = b.add('ArgMax', [scores], [{ name: 'axis', i: 2 }, { name: 'keepdims', i: 1 }]); // [1, N, 1] int64
  const nc = b.add('Gather', [b.add('Shape', [scores]), b.i64('two', [2], [])], [{ name: 'axis', i: 0 }]); // scalar
  const classIds = b.add('Range', [b.i64('zero', [0], []), nc, b.i64('one', [1], [])]); // [nc]
  const mask = b.add('Cast', [b.add('Equal', [best, classIds])], [{ name: 'to', i: DataType.FLOAT }]); // [1, N, nc]
  const single = b.add('Mul', [scores, mask]);
  const perClass = b.add('Transpose', [single], [{ name: 'perm', ints: [0, 2, 1] }]); // [1, nc, N]
  const maxDetT = b.i64('max_det', [maxDet]);
  const selected = b.add(
    'NonMaxSuppression',
    [boxes, perClass, maxDetT, b.f32('iou', [iou]), b.f32('conf', [conf])],
    [{ name: 'center_point_box', i: 1 }],
  ); // [M, 3] (batch, class, box)
  const score = b.add('GatherND', [perClass, selected]); // [M]
  const batchBox = b.add('Gather', [selected, b.i64('batch_box', [0, 2])], [{ name: 'axis', i: 1 }]); // [M, 2]
  const box = b.add('GatherND', [boxes, batchBox]); // [M, 4]
  const xy = b.slice(box, 1, 0, 2);
  const half = b.add('Mul', [b.slice(box, 1, 2, 4), b.f32('half', [0.5], [])]);
  const x1y1 = b.add('Sub', [xy, half]);
  const x2y2 = b.add('Add', [xy, half]);
  const cls = b.add('Cast', [b.slice(selected, 1, 1, 2)], [{ name: 'to', i: DataType.FLOAT }]); // [M, 1]
  const rows = b.add('Concat', [x1y1, x2y2, b.unsqueeze(score, [1]), cls], [{ name: 'axis', i: 1 }]); // [M, 6]
  // Sort by score and cap at maxDet overall.
  const k = b.add('Min', [b.add('Shape', [score]), maxDetT]); // [1]
  const [, order] = b.addMulti('TopK', [score, k], 2, [{ name: 'axis', i: 0 }, { name: 'largest', i: 1 }, { name: 'sorted', i: 1 }]);
  let sorted = b.add('Gather', [rows, order!], [{ name: 'axis', i: 0 }]); // [K, 6]
  if (pad) {
    const missing = b.add('Sub', [maxDetT, b.slice(b.add('Shape', [sorted]), 0, 0, 1)]);
    const z = b.i64('zero1', [0]);
    const pads = b.add('Concat', [z, z, missing, z], [{ name: 'axis', i: 0 }]);
    sorted = b.add('Pad', [sorted, pads], [{ name: 'mode', s: 'constant' }]);
  }
  b.unsqueeze(sorted, [0], out.name); // [1, K, 6]
  return editModel(model, {
    rename: { [out.name]: raw },
    replaceOutputs: true,
    nodes: b.nodes,
    initializers: b.inits,
    outputs: [{ name: out.name, dims: [1, pad ? maxDet : 'num_dets', 6] }],
  });
}

// ---------------------------------------------------------------------------------------------------------
// Small synthetic models

/** Detection output layouts (mirrors `DetectionLayout` in src/inference/inference.types.ts). */
export type TestDetectionLayout = 'v8' | 'v5' | 'end2end';

export interface ConstantOutput {
  name: string;
  data: Float32Array | readonly number[];
  /** Real dims of `data`. */
  dims: readonly number[];
  /** Declared dims in the graph output (symbolic names for dynamic dims, null unknown); default `dims`. */
  shape?: readonly (number | string | null)[];
}

export interface ConstantDetectorOptions {
  /** When given, `dims` are checked against it: v8 [B, 4+nc, N], v5 [B, N, 5+nc], end2end [B, K, 6]. */
  layout?: TestDetectionLayout;
  output: Float32Array | readonly number[];
  dims: readonly number[];
  /** Declared output dims (e.g. `[1, 84, 'anchors']`); default `dims`. */
  outputShape?: readonly (number | string | null)[];
  /** Declared input dims; default [1, 3, 640, 640]. Symbolic names are fine (the output ignores the input's values). */
  inputShape?: readonly (number | string | null)[];
  /** Default `images`. */
  inputName?: string;
  /** Default `output0`. */
  outputName?: string;
  /** More constant outputs (e.g. a segmentation model's `output1`). */
  extraOutputs?: readonly ConstantOutput[];
  metadata?: Readonly<Record<string, string>>;
  /** Default 17. */
  opset?: number;
  /** Default 8. */
  irVersion?: number;
}

function checkLayout(layout: TestDetectionLayout, dims: readonly number[]): void {
  const ok = dims.length === 3 && (layout === 'v8' ? dims[1]! > 4 : layout === 'v5' ? dims[2]! > 5 : dims[2] === 6);
  if (!ok) throw new RangeError(`buildConstantDetector: dims [${dims.join(', ')}] do not fit layout ${layout}`);
}

/**
 * A tiny model whose output is a constant that still depends on the input:
 * `output = Slice(const, 0, ends) + ReduceSum(images) × 0` with run-time `ends` (so the declared output dims
 * are what onnxruntime reports); exact for finite inputs, except that −0 becomes +0.
 */
export function buildConstantDetector(options: ConstantDetectorOptions): Uint8Array {
  const { layout, output, dims, inputShape = [1, 3, 640, 640], inputName = 'images', outputName = 'output0', opset = 17 } = options;
  if (layout) checkLayout(layout, dims);
  const b = new NodeList('const/', opset);
  const zero = b.add('Mul', [b.reduce('ReduceSum', inputName, undefined, false), b.f32('zero', [0], [])]);
  // Slice ends known only at run time, so shape inference cannot replace declared symbolic dims by the
  // constant's real ones (onnxruntime reports the merged shape in its input/output metadata).
  const big = b.add('Cast', [b.add('Add', [zero, b.f32('big', [1e9], [])])], [{ name: 'to', i: DataType.INT64 }]);
  const outs: ConstantOutput[] = [{ name: outputName, data: output, dims, shape: options.outputShape ?? dims }, ...(options.extraOutputs ?? [])];
  for (const o of outs) {
    const c = b.name(`${o.name}_value`);
    b.inits.push(floatTensor(c, o.dims, o.data));
    const rank = o.dims.length;
    const axes = Array.from({ length: rank }, (_, i) => i);
    const ends = rank === 0 ? big : b.add('Expand', [big, b.i64('rank', [rank])]);
    const sliced = rank === 0 ? c : b.add('Slice', [c, b.i64('starts', axes.map(() => 0)), ends, b.i64('axes', axes)]);
    b.add('Add', [sliced, zero], [], o.name);
  }
  return encodeModel({
    irVersion: options.irVersion ?? 8,
    opset,
    metadata: options.metadata ?? {},
    graph: {
      name: 'constant_detector',
      nodes: b.nodes,
      initializers: b.inits,
      inputs: [{ name: inputName, dims: inputShape }],
      outputs: outs.map((o) => ({ name: o.name, dims: o.shape ?? o.dims })),
    },
  });
}

/** The values stored by `withExternalData` (write `externalWeightBytes()` at `location` to make it loadable). */
export const EXTERNAL_WEIGHT_VALUES: readonly number[] = [1, 2, 3, 4];

/** The bytes `withExternalData` expects at its location (offset 0). */
export function externalWeightBytes(): Uint8Array {
  return float32Bytes(EXTERNAL_WEIGHT_VALUES);
}

export interface ExternalDataOptions {
  /** Written as the `offset` entry (default 0). */
  offset?: number;
  /** Written as the `length` entry (default 16, the 4 floats). */
  length?: number;
  /** Where the external tensor sits: a graph initializer (default) or a Constant node's `value` attribute. */
  via?: 'initializer' | 'constant';
}

/**
 * A tiny valid model, `y = x + w` with `x` float [4] and `w` a float [4] tensor whose data lives in an external
 * file at `location` (data_location = EXTERNAL, external_data location/offset/length).
 */
export function withExternalData(location: string, options: ExternalDataOptions = {}): Uint8Array {
  const w: TensorSpec = {
    name: 'w',
    dataType: DataType.FLOAT,
    dims: [EXTERNAL_WEIGHT_VALUES.length],
    externalData: { location, offset: options.offset ?? 0, length: options.length ?? EXTERNAL_WEIGHT_VALUES.length * 4 },
  };
  const viaConstant = options.via === 'constant';
  const nodes: NodeSpec[] = viaConstant ? [{ opType: 'Constant', inputs: [], outputs: ['w'], name: 'w_const', attributes: [{ name: 'value', t: w }] }] : [];
  nodes.push({ opType: 'Add', inputs: ['x', 'w'], outputs: ['y'], name: 'add' });
  return encodeModel({
    graph: {
      name: 'external_data',
      nodes,
      initializers: viaConstant ? [] : [w],
      inputs: [{ name: 'x', dims: [EXTERNAL_WEIGHT_VALUES.length] }],
      outputs: [{ name: 'y', dims: [EXTERNAL_WEIGHT_VALUES.length] }],
    },
  });
}

/**
 * A model that parses and declares an NCHW float input but no output shape, and that onnxruntime refuses:
 * `load` — its one node is an operator no runtime has; `run` — it reshapes the image to [1, 84, 100], which
 * fails on any real input size.
 */
export function buildFailingDetector(stage: 'load' | 'run'): Uint8Array {
  const b = new NodeList('failing/', 17);
  if (stage === 'load') b.add('NoSuchYoloOp', ['images'], [], 'output0');
  else b.add('Reshape', ['images', b.i64('shape', [1, 84, 100])], [], 'output0');
  return encodeModel({
    graph: { name: `fails_at_${stage}`, nodes: b.nodes, initializers: b.inits, inputs: [{ name: 'images', dims: [1, 3, 640, 640] }], outputs: [{ name: 'output0' }] },
  });
}
