/**
 * Test-support ONNX builder: writes ONNX messages from specs. With `onnx-inspect.ts` (read back, splice
 * into an existing model such as the YOLOv8 fixture), `onnx-variants.ts` produces the other layouts:
 * - `wrapAsYolov5`: `[1, N, 5+nc]` (cx, cy, w, h, objectness, class scores);
 * - `wrapAsEnd2End`: NMS inside the model, `[1, K, 6]` (x1, y1, x2, y2, score, class) in input pixels;
 * - `buildConstantDetector`: a tiny model whose output is a given constant;
 * - `withExternalData`: a tiny model whose initializer lives in an external file.
 *
 * Field numbers follow onnx/onnx.proto (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto,
 * ValueInfoProto, TypeProto, TensorShapeProto, OperatorSetIdProto, StringStringEntryProto).
 *
 * Splicing (`onnx-inspect.ts`) is byte-level: the model and its graph are split into top-level fields; every field we do not
 * touch (initializers in particular, megabytes of them) is copied verbatim, nodes/value_infos that mention a
 * renamed tensor are re-encoded from their own fields, and the new nodes/initializers/outputs are appended.
 * Subgraphs (If/Loop bodies) are not searched for renamed tensors.
 */
import { ProtoWriter, type ProtoField, fieldInts, fieldText, readFields } from './onnx-proto.js';

export { ProtoWriter, concatBytes, readFields, varint, type ProtoField } from './onnx-proto.js';

import { MODEL, OPSET_ID, ENTRY, GRAPH, NODE, ATTR, TENSOR, VALUE_INFO, TYPE, TYPE_TENSOR, SHAPE, DIM, ANNOTATION } from './onnx-fields.js';

/** TensorProto.DataType numbers. */
export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, STRING: 8, BOOL: 9, FLOAT16: 10, DOUBLE: 11 } as const;

/** AttributeProto.AttributeType numbers. */
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8, TENSORS: 9 } as const;

/** TensorProto.DataLocation. */
export const DataLocation = { DEFAULT: 0, EXTERNAL: 1 } as const;

// ---------------------------------------------------------------------------------------------------------
// Specs and their writers

/** A TensorProto: give one of `rawData`, `floatData`, `int64Data`, or `externalData`. */
export interface TensorSpec {
  name?: string;
  dataType: number;
  dims: readonly (number | bigint)[];
  /** Little-endian element bytes (TensorProto.raw_data). */
  rawData?: Uint8Array;
  /** TensorProto.float_data (packed). */
  floatData?: ArrayLike<number>;
  /** TensorProto.int64_data (packed). */
  int64Data?: readonly (number | bigint)[];
  /** Data in a file beside the model: writes `external_data` entries and `data_location = EXTERNAL`. */
  externalData?: { location: string; offset?: number; length?: number; checksum?: string };
}

export type AttributeSpec =
  | { name: string; i: number | bigint }
  | { name: string; f: number }
  | { name: string; s: string | Uint8Array }
  | { name: string; t: TensorSpec }
  | { name: string; ints: readonly (number | bigint)[] }
  | { name: string; floats: readonly number[] };

export interface NodeSpec {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name?: string;
  domain?: string;
  attributes?: readonly AttributeSpec[];
}

/** A ValueInfoProto of tensor type. `dims` omitted: no shape; a dim of `null`: unknown (neither value nor param). */
export interface ValueInfoSpec {
  name: string;
  /** Default FLOAT. */
  elemType?: number;
  dims?: readonly (number | string | null)[];
}

export interface GraphSpec {
  name?: string;
  nodes: readonly NodeSpec[];
  initializers?: readonly TensorSpec[];
  inputs: readonly ValueInfoSpec[];
  outputs: readonly ValueInfoSpec[];
  valueInfo?: readonly ValueInfoSpec[];
}

export interface ModelSpec {
  /** Default 8. */
  irVersion?: number;
  /** Default-domain opset (default 17); ignored when `opsetImports` is given. */
  opset?: number;
  opsetImports?: readonly { domain?: string; version: number }[];
  /** Default `yoloops-test`. */
  producerName?: string;
  producerVersion?: string;
  metadata?: Readonly<Record<string, string>>;
  graph: GraphSpec;
}

export function encodeTensor(t: TensorSpec): Uint8Array {
  const w = new ProtoWriter();
  for (const d of t.dims) w.varint(TENSOR.dims, d);
  w.varint(TENSOR.dataType, t.dataType);
  if (t.name !== undefined) w.string(TENSOR.name, t.name);
  if (t.rawData) w.bytes(TENSOR.rawData, t.rawData);
  if (t.floatData) w.packedFloats(TENSOR.floatData, t.floatData);
  if (t.int64Data) w.packedVarints(TENSOR.int64Data, t.int64Data);
  if (t.externalData) {
    const e = t.externalData;
    const entries: [string, string][] = [['location', e.location]];
    if (e.offset !== undefined) entries.push(['offset', String(e.offset)]);
    if (e.length !== undefined) entries.push(['length', String(e.length)]);
    if (e.checksum !== undefined) entries.push(['checksum', e.checksum]);
    for (const [k, v] of entries) w.message(TENSOR.externalData, encodeEntry(k, v));
    w.varint(TENSOR.dataLocation, DataLocation.EXTERNAL);
  }
  return w.finish();
}

export function encodeAttribute(a: AttributeSpec): Uint8Array {
  const w = new ProtoWriter().string(ATTR.name, a.name);
  if ('i' in a) w.varint(ATTR.type, AttributeType.INT).varint(ATTR.i, a.i);
  else if ('f' in a) w.varint(ATTR.type, AttributeType.FLOAT).float(ATTR.f, a.f);
  else if ('s' in a) w.varint(ATTR.type, AttributeType.STRING).bytes(ATTR.s, typeof a.s === 'string' ? new TextEncoder().encode(a.s) : a.s);
  else if ('t' in a) w.varint(ATTR.type, AttributeType.TENSOR).message(ATTR.t, encodeTensor(a.t));
  else if ('ints' in a) {
    w.varint(ATTR.type, AttributeType.INTS);
    for (const v of a.ints) w.varint(ATTR.ints, v); // proto2 `repeated int64` (not declared packed)
  } else {
    w.varint(ATTR.type, AttributeType.FLOATS);
    for (const v of a.floats) w.float(ATTR.floats, v);
  }
  return w.finish();
}

export function encodeNode(n: NodeSpec): Uint8Array {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(NODE.input, i);
  for (const o of n.outputs) w.string(NODE.output, o);
  if (n.name !== undefined) w.string(NODE.name, n.name);
  w.string(NODE.opType, n.opType);
  if (n.domain !== undefined) w.string(NODE.domain, n.domain);
  for (const a of n.attributes ?? []) w.message(NODE.attribute, encodeAttribute(a));
  return w.finish();
}

export function encodeValueInfo(v: ValueInfoSpec): Uint8Array {
  const tensor = new ProtoWriter().varint(TYPE_TENSOR.elemType, v.elemType ?? DataType.FLOAT);
  if (v.dims) {
    const shape = new ProtoWriter();
    for (const d of v.dims) {
      const dim = new ProtoWriter();
      if (typeof d === 'number') dim.varint(DIM.dimValue, d);
      else if (typeof d === 'string') dim.string(DIM.dimParam, d);
      shape.message(SHAPE.dim, dim);
    }
    tensor.message(TYPE_TENSOR.shape, shape);
  }
  const type = new ProtoWriter().message(TYPE.tensorType, tensor);
  return new ProtoWriter().string(VALUE_INFO.name, v.name).message(VALUE_INFO.type, type).finish();
}

export function encodeEntry(key: string, value: string): Uint8Array {
  return new ProtoWriter().string(ENTRY.key, key).string(ENTRY.value, value).finish();
}

export function encodeGraph(g: GraphSpec): Uint8Array {
  const w = new ProtoWriter();
  for (const n of g.nodes) w.message(GRAPH.node, encodeNode(n));
  w.string(GRAPH.name, g.name ?? 'graph');
  for (const t of g.initializers ?? []) w.message(GRAPH.initializer, encodeTensor(t));
  for (const v of g.inputs) w.message(GRAPH.input, encodeValueInfo(v));
  for (const v of g.outputs) w.message(GRAPH.output, encodeValueInfo(v));
  for (const v of g.valueInfo ?? []) w.message(GRAPH.valueInfo, encodeValueInfo(v));
  return w.finish();
}

export function encodeModel(m: ModelSpec): Uint8Array {
  const w = new ProtoWriter().varint(MODEL.irVersion, m.irVersion ?? 8);
  w.string(MODEL.producerName, m.producerName ?? 'yoloops-test');
  if (m.producerVersion !== undefined) w.string(MODEL.producerVersion, m.producerVersion);
  w.message(MODEL.graph, encodeGraph(m.graph));
  for (const o of m.opsetImports ?? [{ domain: '', version: m.opset ?? 17 }]) {
    const id = new ProtoWriter();
    if (o.domain) id.string(OPSET_ID.domain, o.domain);
    w.message(MODEL.opsetImport, id.varint(OPSET_ID.version, o.version));
  }
  for (const [k, v] of Object.entries(m.metadata ?? {})) w.message(MODEL.metadataProps, encodeEntry(k, v));
  return w.finish();
}

// Tensor helpers ------------------------------------------------------------------------------------------

/** FLOAT tensor (raw_data, little-endian). */
export function floatTensor(name: string, dims: readonly number[], values: ArrayLike<number>): TensorSpec {
  checkCount(name, dims, values.length);
  const raw = new Uint8Array(values.length * 4);
  const dv = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) dv.setFloat32(i * 4, values[i]!, true);
  return { name, dataType: DataType.FLOAT, dims, rawData: raw };
}

/** INT64 tensor (raw_data, little-endian). */
export function int64Tensor(name: string, dims: readonly number[], values: readonly (number | bigint)[]): TensorSpec {
  checkCount(name, dims, values.length);
  const raw = new Uint8Array(values.length * 8);
  const dv = new DataView(raw.buffer);
  values.forEach((v, i) => dv.setBigInt64(i * 8, BigInt(v), true));
  return { name, dataType: DataType.INT64, dims, rawData: raw };
}

function checkCount(name: string, dims: readonly number[], n: number): void {
  const want = dims.reduce((a, b) => a * b, 1);
  if (want !== n) throw new RangeError(`tensor ${name}: ${n} values for dims [${dims.join(', ')}] (want ${want})`);
}

/** Little-endian float32 bytes. */
export function float32Bytes(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) dv.setFloat32(i * 4, values[i]!, true);
  return out;
}
