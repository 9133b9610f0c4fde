/**
 * Test-support ONNX builder: writes small ONNX models from scratch and splices extra nodes into an
 * existing model (the YOLOv8 fixture); `onnx-variants.ts` uses them to produce the other detection-output layouts:
 * - `wrapAsYolov5`: `[1, N, 5+nc]` (cx, cy, w, h, objectness, class scores);
 * - `wrapAsEnd2End`: NMS inside the model, `[1, K, 6]` (x1, y1, x2, y2, score, class) in input pixels;
 * - `buildConstantDetector`: a tiny model whose output is a given constant;
 * - `withExternalData`: a tiny model whose initializer lives in an external file.
 *
 * Field numbers follow onnx/onnx.proto (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto,
 * ValueInfoProto, TypeProto, TensorShapeProto, OperatorSetIdProto, StringStringEntryProto).
 *
 * Splicing is byte-level: the model and its graph are split into top-level fields; every field we do not
 * touch (initializers in particular, megabytes of them) is copied verbatim, nodes/value_infos that mention a
 * renamed tensor are re-encoded from their own fields, and the new nodes/initializers/outputs are appended.
 * Subgraphs (If/Loop bodies) are not searched for renamed tensors.
 */
import { ProtoWriter, type ProtoField, fieldInts, fieldText, readFields } from './onnx-proto.js';

export { ProtoWriter, concatBytes, readFields, varint, type ProtoField } from './onnx-proto.js';

// ---------------------------------------------------------------------------------------------------------
// Field numbers (onnx.proto)

const MODEL = { irVersion: 1, producerName: 2, producerVersion: 3, domain: 4, modelVersion: 5, docString: 6, graph: 7, opsetImport: 8, metadataProps: 14 } as const;
const OPSET_ID = { domain: 1, version: 2 } as const;
const ENTRY = { key: 1, value: 2 } as const;
const GRAPH = { node: 1, name: 2, initializer: 5, docString: 10, input: 11, output: 12, valueInfo: 13, quantizationAnnotation: 14 } as const;
const NODE = { input: 1, output: 2, name: 3, opType: 4, attribute: 5, docString: 6, domain: 7 } as const;
const ATTR = { name: 1, f: 2, i: 3, s: 4, t: 5, g: 6, floats: 7, ints: 8, strings: 9, tensors: 10, type: 20 } as const;
const TENSOR = { dims: 1, dataType: 2, floatData: 4, int32Data: 5, int64Data: 7, name: 8, rawData: 9, externalData: 13, dataLocation: 14 } as const;
const VALUE_INFO = { name: 1, type: 2 } as const;
const TYPE = { tensorType: 1 } as const;
const TYPE_TENSOR = { elemType: 1, shape: 2 } as const;
const SHAPE = { dim: 1 } as const;
const DIM = { dimValue: 1, dimParam: 2 } as const;
const ANNOTATION = { tensorName: 1 } as const;

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

function encodeEntry(key: string, value: string): Uint8Array {
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

// ---------------------------------------------------------------------------------------------------------
// Reading (enough to inspect what we wrote and to splice the fixture)

export interface InspectedTensorInfo {
  name: string;
  elemType: number;
  dims: (number | string | null)[] | null;
}

export interface InspectedInitializer {
  name: string;
  dataType: number;
  dims: number[];
  dataLocation: number;
  externalData: Record<string, string>;
  rawDataLength: number;
}

export interface InspectedNode {
  opType: string;
  domain: string;
  name: string;
  inputs: string[];
  outputs: string[];
}

export interface InspectedModel {
  irVersion: number;
  producerName: string;
  opsetImports: { domain: string; version: number }[];
  /** Default-domain (`''` / `ai.onnx`) opset version, 0 when absent. */
  opset: number;
  metadata: Record<string, string>;
  inputs: InspectedTensorInfo[];
  outputs: InspectedTensorInfo[];
  initializers: InspectedInitializer[];
  nodes: InspectedNode[];
}

function readValueInfo(bytes: Uint8Array): InspectedTensorInfo {
  let name = '';
  let elemType = 0;
  let dims: (number | string | null)[] | null = null;
  for (const f of readFields(bytes)) {
    if (f.field === VALUE_INFO.name) name = fieldText(f);
    else if (f.field === VALUE_INFO.type) {
      for (const t of readFields(f.data)) {
        if (t.field !== TYPE.tensorType) continue;
        for (const tt of readFields(t.data)) {
          if (tt.field === TYPE_TENSOR.elemType) elemType = Number(tt.int);
          else if (tt.field === TYPE_TENSOR.shape) {
            dims = [];
            for (const d of readFields(tt.data)) {
              if (d.field !== SHAPE.dim) continue;
              let dim: number | string | null = null;
              for (const x of readFields(d.data)) {
                if (x.field === DIM.dimValue) dim = Number(BigInt.asIntN(64, x.int));
                else if (x.field === DIM.dimParam) dim = fieldText(x);
              }
              dims.push(dim);
            }
          }
        }
      }
    }
  }
  return { name, elemType, dims };
}

function readEntry(bytes: Uint8Array): [string, string] {
  let k = '';
  let v = '';
  for (const f of readFields(bytes)) {
    if (f.field === ENTRY.key) k = fieldText(f);
    else if (f.field === ENTRY.value) v = fieldText(f);
  }
  return [k, v];
}

function readInitializer(bytes: Uint8Array): InspectedInitializer {
  const fields = readFields(bytes);
  const out: InspectedInitializer = { name: '', dataType: 0, dims: fieldInts(fields, TENSOR.dims), dataLocation: 0, externalData: {}, rawDataLength: 0 };
  for (const f of fields) {
    if (f.field === TENSOR.name) out.name = fieldText(f);
    else if (f.field === TENSOR.dataType) out.dataType = Number(f.int);
    else if (f.field === TENSOR.dataLocation) out.dataLocation = Number(f.int);
    else if (f.field === TENSOR.rawData) out.rawDataLength = f.data.length;
    else if (f.field === TENSOR.externalData) {
      const [k, v] = readEntry(f.data);
      out.externalData[k] = v;
    }
  }
  return out;
}

function readNode(bytes: Uint8Array): InspectedNode {
  const n: InspectedNode = { opType: '', domain: '', name: '', inputs: [], outputs: [] };
  for (const f of readFields(bytes)) {
    if (f.field === NODE.input) n.inputs.push(fieldText(f));
    else if (f.field === NODE.output) n.outputs.push(fieldText(f));
    else if (f.field === NODE.opType) n.opType = fieldText(f);
    else if (f.field === NODE.domain) n.domain = fieldText(f);
    else if (f.field === NODE.name) n.name = fieldText(f);
  }
  return n;
}

/** The model's single `graph` field (throws when absent or repeated, which we do not merge). */
function graphField(modelFields: readonly ProtoField[]): ProtoField {
  const graphs = modelFields.filter((f) => f.field === MODEL.graph && f.wire === 2);
  if (graphs.length !== 1) throw new Error(`ModelProto: expected one graph field, found ${graphs.length}`);
  return graphs[0]!;
}

/** Reads a ModelProto's header, graph inputs/outputs, initializers (without data) and nodes. */
export function inspectModel(model: Uint8Array): InspectedModel {
  const fields = readFields(model);
  const out: InspectedModel = {
    irVersion: 0, producerName: '', opsetImports: [], opset: 0, metadata: {}, inputs: [], outputs: [], initializers: [], nodes: [],
  };
  for (const f of fields) {
    if (f.field === MODEL.irVersion) out.irVersion = Number(f.int);
    else if (f.field === MODEL.producerName) out.producerName = fieldText(f);
    else if (f.field === MODEL.metadataProps) {
      const [k, v] = readEntry(f.data);
      out.metadata[k] = v;
    } else if (f.field === MODEL.opsetImport) {
      let domain = '';
      let version = 0;
      for (const o of readFields(f.data)) {
        if (o.field === OPSET_ID.domain) domain = fieldText(o);
        else if (o.field === OPSET_ID.version) version = Number(o.int);
      }
      out.opsetImports.push({ domain, version });
      if (domain === '' || domain === 'ai.onnx') out.opset = Math.max(out.opset, version);
    }
  }
  const initNames = new Set<string>();
  const inputs: InspectedTensorInfo[] = [];
  for (const f of readFields(graphField(fields).data)) {
    if (f.field === GRAPH.node) out.nodes.push(readNode(f.data));
    else if (f.field === GRAPH.initializer) {
      const t = readInitializer(f.data);
      out.initializers.push(t);
      initNames.add(t.name);
    } else if (f.field === GRAPH.input) inputs.push(readValueInfo(f.data));
    else if (f.field === GRAPH.output) out.outputs.push(readValueInfo(f.data));
  }
  out.inputs = inputs.filter((i) => !initNames.has(i.name));
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Splicing

export interface GraphEdit {
  /** Tensor renames, applied to existing node inputs/outputs, graph inputs/outputs, value_info, initializers and quantization annotations. */
  rename?: Readonly<Record<string, string>>;
  /** Drop the graph's existing outputs (then `outputs` are the only ones). Default false (append). */
  replaceOutputs?: boolean;
  /** Nodes appended after the existing ones (so they may consume any existing tensor). */
  nodes?: readonly NodeSpec[];
  initializers?: readonly TensorSpec[];
  outputs?: readonly ValueInfoSpec[];
  /** metadata_props to set (an existing entry with the same key is replaced). */
  metadata?: Readonly<Record<string, string>>;
  /** Replaces the producer name. */
  producerName?: string;
}

/** Rewrites the string fields `stringFields` of a message through `rename`; null when nothing matched. */
function renameIn(message: Uint8Array, stringFields: readonly number[], rename: ReadonlyMap<string, string>): Uint8Array | null {
  const fields = readFields(message);
  let changed = false;
  const w = new ProtoWriter();
  for (const f of fields) {
    if (f.wire === 2 && stringFields.includes(f.field)) {
      const to = rename.get(fieldText(f));
      if (to !== undefined) {
        w.string(f.field, to);
        changed = true;
        continue;
      }
    }
    w.raw(f.raw);
  }
  return changed ? w.finish() : null;
}

/** Returns a copy of `model` with `edit` applied (untouched fields are copied byte for byte). */
export function editModel(model: Uint8Array, edit: GraphEdit): Uint8Array {
  const modelFields = readFields(model);
  const rename = new Map(Object.entries(edit.rename ?? {}));
  const renamable: Partial<Record<number, readonly number[]>> = {
    [GRAPH.node]: [NODE.input, NODE.output],
    [GRAPH.input]: [VALUE_INFO.name],
    [GRAPH.output]: [VALUE_INFO.name],
    [GRAPH.valueInfo]: [VALUE_INFO.name],
    [GRAPH.initializer]: [TENSOR.name],
    [GRAPH.quantizationAnnotation]: [ANNOTATION.tensorName],
  };

  const g = new ProtoWriter();
  for (const f of readFields(graphField(modelFields).data)) {
    if (f.field === GRAPH.output && edit.replaceOutputs) continue;
    const inner = renamable[f.field];
    const renamed = rename.size > 0 && inner && f.wire === 2 ? renameIn(f.data, inner, rename) : null;
    if (renamed) g.message(f.field, renamed);
    else g.raw(f.raw);
  }
  for (const n of edit.nodes ?? []) g.message(GRAPH.node, encodeNode(n));
  for (const t of edit.initializers ?? []) g.message(GRAPH.initializer, encodeTensor(t));
  for (const o of edit.outputs ?? []) g.message(GRAPH.output, encodeValueInfo(o));
  const graph = g.finish();

  const meta = edit.metadata ?? {};
  const m = new ProtoWriter();
  for (const f of modelFields) {
    if (f.field === MODEL.graph) m.message(MODEL.graph, graph);
    else if (f.field === MODEL.metadataProps && readEntry(f.data)[0] in meta) continue;
    else if (f.field === MODEL.producerName && edit.producerName !== undefined) continue;
    else m.raw(f.raw);
  }
  if (edit.producerName !== undefined) m.string(MODEL.producerName, edit.producerName);
  for (const [k, v] of Object.entries(meta)) m.message(MODEL.metadataProps, encodeEntry(k, v));
  return m.finish();
}

/** Sets metadata_props on an existing model (e.g. `names` on the fixture, whose quantizer dropped them). */
export function withMetadata(model: Uint8Array, metadata: Readonly<Record<string, string>>): Uint8Array {
  return editModel(model, { metadata });
}
