/**
 * A minimal protobuf wire-format encoder and a shallow decoder, enough to write small ONNX models and to
 * splice nodes into an existing one (test support only: no dependencies, no schema).
 *
 * Wire types: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32 (groups, 3/4, are rejected).
 */

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: false });

/** Appends the base-128 varint of `v` to `out`; negative numbers are written as 64-bit two's complement (10 bytes). */
export function pushVarint(out: number[], v: number | bigint): void {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new RangeError(`varint: ${v} is not a safe integer (pass a bigint)`);
    if (v < 0) return pushVarint(out, BigInt(v));
    while (v > 0x7f) {
      out.push((v % 128) | 0x80);
      v = Math.floor(v / 128);
    }
    out.push(v);
    return;
  }
  let u = BigInt.asUintN(64, v);
  while (u > 0x7fn) {
    out.push(Number(u & 0x7fn) | 0x80);
    u >>= 7n;
  }
  out.push(Number(u));
}

/** Encoded varint of `v` as bytes. */
export function varint(v: number | bigint): Uint8Array {
  const out: number[] = [];
  pushVarint(out, v);
  return Uint8Array.from(out);
}

/** Concatenates byte arrays into one new array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Builds one protobuf message. Small scalars go to a pending byte list; byte payloads are kept by reference
 * (not copied) until `finish`, so splicing multi-megabyte initializers costs one copy.
 */
export class ProtoWriter {
  private readonly parts: Uint8Array[] = [];
  private pending: number[] = [];

  private flush(): void {
    if (this.pending.length > 0) {
      this.parts.push(Uint8Array.from(this.pending));
      this.pending = [];
    }
  }

  private tag(field: number, wire: 0 | 1 | 2 | 5): void {
    if (!Number.isInteger(field) || field < 1 || field > 0x1fffffff) throw new RangeError(`bad field number ${field}`);
    pushVarint(this.pending, field * 8 + wire);
  }

  /** Wire type 0: int32/int64/uint64/enum/bool (negative → 10-byte two's complement, as protobuf does for int64). */
  varint(field: number, v: number | bigint | boolean): this {
    this.tag(field, 0);
    pushVarint(this.pending, typeof v === 'boolean' ? (v ? 1 : 0) : v);
    return this;
  }

  /** Wire type 5: a `float`. */
  float(field: number, v: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.pending.push(...b);
    return this;
  }

  /** Wire type 1: a `double`. */
  double(field: number, v: number): this {
    this.tag(field, 1);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    this.pending.push(...b);
    return this;
  }

  /** Wire type 2: raw bytes (kept by reference). */
  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2);
    pushVarint(this.pending, b.length);
    this.flush();
    if (b.length > 0) this.parts.push(b);
    return this;
  }

  /** Wire type 2: a UTF-8 string. */
  string(field: number, s: string): this {
    return this.bytes(field, utf8.encode(s));
  }

  /** Wire type 2: an embedded message. */
  message(field: number, m: ProtoWriter | Uint8Array): this {
    return this.bytes(field, m instanceof ProtoWriter ? m.finish() : m);
  }

  /** Packed repeated varints (one wire-type-2 field). */
  packedVarints(field: number, values: ArrayLike<number | bigint>): this {
    const body: number[] = [];
    for (let i = 0; i < values.length; i++) pushVarint(body, values[i]!);
    return this.bytes(field, Uint8Array.from(body));
  }

  /** Packed repeated floats (one wire-type-2 field of fixed32s). */
  packedFloats(field: number, values: ArrayLike<number>): this {
    const b = new Uint8Array(values.length * 4);
    const dv = new DataView(b.buffer);
    for (let i = 0; i < values.length; i++) dv.setFloat32(i * 4, values[i]!, true);
    return this.bytes(field, b);
  }

  /** Already-encoded field bytes (tag included), appended verbatim. */
  raw(b: Uint8Array): this {
    this.flush();
    if (b.length > 0) this.parts.push(b);
    return this;
  }

  finish(): Uint8Array {
    this.flush();
    return this.parts.length === 1 ? this.parts[0]! : concatBytes(this.parts);
  }
}

/** One top-level field of a message, as found on the wire. */
export interface ProtoField {
  field: number;
  wire: 0 | 1 | 2 | 5;
  /** The whole field, tag included (a view into the source buffer). */
  raw: Uint8Array;
  /** Wire type 0: the value (unsigned 64-bit; use `BigInt.asIntN(64, …)` for int64). */
  int: bigint;
  /** Wire type 2: the payload; wire types 1/5: the 8/4 little-endian bytes (views into the source buffer). */
  data: Uint8Array;
}

const EMPTY: Uint8Array = new Uint8Array(0);

function readVarint(buf: Uint8Array, pos: number): [bigint, number] {
  // Fast path for values below 2^28, the common case (tags, lengths, small ints).
  let small = 0;
  for (let i = 0; i < 4; i++) {
    if (pos + i >= buf.length) throw new RangeError('protobuf: truncated varint');
    const b = buf[pos + i]!;
    small |= (b & 0x7f) << (7 * i);
    if ((b & 0x80) === 0) return [BigInt(small), pos + i + 1];
  }
  let v = 0n;
  let shift = 0n;
  for (let p = pos; ; p++, shift += 7n) {
    if (p >= buf.length || shift > 63n) throw new RangeError('protobuf: truncated or overlong varint');
    const b = buf[p]!;
    v |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [BigInt.asUintN(64, v), p + 1];
  }
}

/** Splits a message into its top-level fields, in wire order (shallow: embedded messages stay as bytes). */
export function readFields(buf: Uint8Array): ProtoField[] {
  const fields: ProtoField[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const start = pos;
    const [key, afterKey] = readVarint(buf, pos);
    pos = afterKey;
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (field === 0) throw new RangeError(`protobuf: field number 0 at byte ${start}`);
    let int = 0n;
    let data: Uint8Array = EMPTY;
    if (wire === 0) {
      [int, pos] = readVarint(buf, pos);
    } else if (wire === 2) {
      const [len, afterLen] = readVarint(buf, pos);
      const end = afterLen + Number(len);
      if (end > buf.length) throw new RangeError(`protobuf: field ${field} overruns the buffer`);
      data = buf.subarray(afterLen, end);
      pos = end;
    } else if (wire === 1 || wire === 5) {
      const end = pos + (wire === 1 ? 8 : 4);
      if (end > buf.length) throw new RangeError(`protobuf: field ${field} overruns the buffer`);
      data = buf.subarray(pos, end);
      pos = end;
    } else {
      throw new RangeError(`protobuf: unsupported wire type ${wire} (field ${field})`);
    }
    fields.push({ field, wire: wire as ProtoField['wire'], raw: buf.subarray(start, pos), int, data });
  }
  return fields;
}

/** UTF-8 text of a length-delimited field. */
export function fieldText(f: ProtoField): string {
  return utf8Decoder.decode(f.data);
}

/** Values of a repeated int64 field that may be packed (wire 2) or not (wire 0), as signed numbers. */
export function fieldInts(fields: readonly ProtoField[], field: number): number[] {
  const out: number[] = [];
  for (const f of fields) {
    if (f.field !== field) continue;
    if (f.wire === 0) out.push(Number(BigInt.asIntN(64, f.int)));
    else if (f.wire === 2) {
      let pos = 0;
      while (pos < f.data.length) {
        const [v, next] = readVarint(f.data, pos);
        out.push(Number(BigInt.asIntN(64, v)));
        pos = next;
      }
    }
  }
  return out;
}
