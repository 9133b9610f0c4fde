/**
 * Test-only: a tiny protobuf encoder and just enough ONNX message helpers to hand-build models for the
 * reader's tests (not exported from the package). Each helper returns the encoded *field*, tag included.
 */

type Part = Uint8Array | number[];

export function varintBytes(value: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  while (v > 0x7fn) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

export function concat(...parts: Part[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function le(size: 4 | 8, value: number | bigint): Uint8Array {
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  if (size === 4) view.setUint32(0, Number(value), true);
  else view.setBigUint64(0, BigInt(value), true);
  return out;
}

const tag = (field: number, wire: number): number[] => varintBytes(field * 8 + wire);

/** Field encoders: `pb.int(1, 8)` is `ir_version: 8`, `pb.msg(7, …)` an embedded message. */
export const pb = {
  int: (field: number, value: number | bigint): Uint8Array => concat(tag(field, 0), varintBytes(value)),
  bytes: (field: number, data: Uint8Array): Uint8Array => concat(tag(field, 2), varintBytes(data.length), data),
  str: (field: number, text: string): Uint8Array => pb.bytes(field, new TextEncoder().encode(text)),
  msg: (field: number, ...parts: Part[]): Uint8Array => pb.bytes(field, concat(...parts)),
  fixed32: (field: number, value: number): Uint8Array => concat(tag(field, 5), le(4, value)),
  fixed64: (field: number, value: number | bigint): Uint8Array => concat(tag(field, 1), le(8, value)),
  /** Packed repeated varints. */
  packed: (field: number, values: readonly number[]): Uint8Array => pb.bytes(field, concat(...values.map((v) => varintBytes(v)))),
};

export type Dim = number | string | null;

/** A ValueInfoProto field (11 input, 12 output) for a tensor of `elemType` (1 = float) and `dims`. */
export function valueInfo(field: number, name: string, dims: readonly Dim[], elemType = 1): Uint8Array {
  const dimMsgs = dims.map((d) => pb.msg(1, typeof d === 'number' ? pb.int(1, d) : d === null ? [] : pb.str(2, d)));
  return pb.msg(field, pb.str(1, name), pb.msg(2, pb.msg(1, pb.int(1, elemType), pb.msg(2, ...dimMsgs))));
}

export interface TensorSpec {
  name: string;
  dims?: readonly number[];
  /** Raw data bytes (skipped by the reader). */
  raw?: Uint8Array;
  /** External data `location`; sets data_location EXTERNAL. */
  location?: string;
}

/** A TensorProto field (5 initializer, 5 attribute `t`, 10 attribute `tensors`). */
export function tensor(field: number, spec: TensorSpec): Uint8Array {
  const parts: Part[] = [pb.packed(1, spec.dims ?? []), pb.int(2, 1), pb.str(8, spec.name)];
  if (spec.raw) parts.push(pb.bytes(9, spec.raw));
  if (spec.location !== undefined) {
    parts.push(pb.msg(13, pb.str(1, 'location'), pb.str(2, spec.location)), pb.msg(13, pb.str(1, 'offset'), pb.str(2, '0')), pb.int(14, 1));
  }
  return pb.msg(field, ...parts);
}

/** A NodeProto field (1 in a graph) with `attributes` given as encoded AttributeProto bodies. */
export function node(opType: string, ...attributes: Uint8Array[]): Uint8Array {
  return pb.msg(1, pb.str(4, opType), ...attributes.map((a) => pb.msg(5, a)));
}

/** GraphProto body: nodes, initializers, inputs (11) and outputs (12) as encoded fields. */
export function graphBody(...fields: Uint8Array[]): Uint8Array {
  return concat(pb.str(2, 'g'), ...fields);
}

export interface ModelSpec {
  inputs?: readonly [string, readonly Dim[]][];
  outputs?: readonly [string, readonly Dim[]][];
  metadata?: Readonly<Record<string, string>>;
  /** Extra GraphProto fields (nodes, initializers…). */
  graph?: readonly Uint8Array[];
  opset?: number;
}

/** A ModelProto: ir_version, producer, opset, metadata, then the graph last (so every prefix is invalid). */
export function onnxModel(spec: ModelSpec = {}): Uint8Array {
  const inputs = (spec.inputs ?? [['images', [1, 3, 640, 640]]]).map(([n, d]) => valueInfo(11, n, d));
  const outputs = (spec.outputs ?? [['output0', [1, 84, 8400]]]).map(([n, d]) => valueInfo(12, n, d));
  return concat(
    pb.int(1, 8),
    pb.str(2, 'test'),
    pb.str(3, '1.0'),
    pb.msg(8, pb.str(1, ''), pb.int(2, spec.opset ?? 17)),
    ...Object.entries(spec.metadata ?? {}).map(([k, v]) => pb.msg(14, pb.str(1, k), pb.str(2, v))),
    pb.msg(7, graphBody(...(spec.graph ?? []), ...inputs, ...outputs)),
  );
}
