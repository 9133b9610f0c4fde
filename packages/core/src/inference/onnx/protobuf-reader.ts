import { ValidationError } from '../../errors.js';

/** Protobuf wire types we accept (3 and 4, groups, are rejected). */
export const WireType = { VARINT: 0, FIXED64: 1, LEN: 2, FIXED32: 5 } as const;

/** Deepest message nesting accepted (protobuf's own default recursion limit is 100). */
export const MAX_MESSAGE_DEPTH = 64;

const MAX_FIELD_NUMBER = 2 ** 29 - 1;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The one error this reader throws: `ValidationError` with reason `invalid_onnx`, naming the byte offset. */
export function invalidOnnx(what: string, offset?: number): ValidationError {
  const where = offset === undefined ? '' : ` at byte ${offset}`;
  return new ValidationError(`invalid ONNX file: ${what}${where}`, {
    reason: 'invalid_onnx',
    details: offset === undefined ? {} : { offset },
  });
}

/**
 * Bounds-checked reader of one protobuf message (a window of a byte array, never copied).
 * Loop with `while (r.next())`, then read the field by `r.field` with a typed read or `r.skip()`;
 * typed reads check the wire type, so a hostile file gets a `ValidationError`, never a wrong value.
 * @see https://protobuf.dev/programming-guides/encoding/
 */
export class ProtobufReader {
  /** Field number of the tag last read by `next()`. */
  field = 0;
  /** Wire type of the tag last read by `next()`. */
  wireType = 0;
  private pos: number;
  private tagAt = 0;

  constructor(
    private readonly buf: Uint8Array,
    private readonly end: number = buf.length,
    start = 0,
    /** Nesting depth of this message (0 for the outermost). */
    readonly depth = 0,
  ) {
    this.pos = start;
  }

  /** Reads the next tag; false at the end of the message. */
  next(): boolean {
    if (this.pos >= this.end) return false;
    this.tagAt = this.pos;
    const tag = this.rawVarint();
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (field === 0 || field > MAX_FIELD_NUMBER) throw invalidOnnx(`bad field number ${field}`, this.tagAt);
    if (wire === 3 || wire === 4) throw invalidOnnx(`protobuf group (wire type ${wire}) in field ${field} is not supported`, this.tagAt);
    if (wire !== 0 && wire !== 1 && wire !== 2 && wire !== 5) throw invalidOnnx(`unknown wire type ${wire} in field ${field}`, this.tagAt);
    this.field = field;
    this.wireType = wire;
    return true;
  }

  /** Unsigned varint as a number; throws when it exceeds `Number.MAX_SAFE_INTEGER`. */
  uint(): number {
    this.expect(WireType.VARINT);
    const value = this.rawVarint();
    if (value > Number.MAX_SAFE_INTEGER) throw invalidOnnx(`integer in field ${this.field} is too large`, this.tagAt);
    return value;
  }

  /** Signed (two's complement) int32/int64 varint as a number; throws outside the safe integer range. */
  int(): number {
    this.expect(WireType.VARINT);
    const start = this.pos;
    const value = this.rawVarint();
    if (value <= Number.MAX_SAFE_INTEGER) return value;
    let big = 0n;
    for (let i = this.pos - 1; i >= start; i--) big = (big << 7n) | BigInt(this.buf[i]! & 0x7f);
    const signed = BigInt.asIntN(64, big);
    if (signed < BigInt(Number.MIN_SAFE_INTEGER) || signed > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw invalidOnnx(`integer in field ${this.field} is out of range`, this.tagAt);
    }
    return Number(signed);
  }

  /** A repeated int32/int64 field, packed (one length-delimited run) or not (one varint). */
  ints(): number[] {
    if (this.wireType !== WireType.LEN) return [this.int()];
    const [start, end] = this.lengthDelimited();
    const packed = new ProtobufReader(this.buf, end, start, this.depth);
    packed.field = this.field;
    packed.wireType = WireType.VARINT;
    packed.tagAt = this.tagAt;
    const values: number[] = [];
    while (packed.pos < end) values.push(packed.int());
    return values;
  }

  /** Little-endian fixed32 (unsigned). */
  fixed32(): number {
    this.expect(WireType.FIXED32);
    const at = this.take(4);
    return new DataView(this.buf.buffer, this.buf.byteOffset + at, 4).getUint32(0, true);
  }

  /** Little-endian fixed64 (unsigned) as a number; throws above `Number.MAX_SAFE_INTEGER`. */
  fixed64(): number {
    this.expect(WireType.FIXED64);
    const at = this.take(8);
    const value = new DataView(this.buf.buffer, this.buf.byteOffset + at, 8).getBigUint64(0, true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw invalidOnnx(`integer in field ${this.field} is too large`, this.tagAt);
    return Number(value);
  }

  /** Length-delimited payload as a view of the input (no copy). */
  bytes(): Uint8Array {
    const [start, end] = this.lengthDelimited();
    return this.buf.subarray(start, end);
  }

  /** Length-delimited payload decoded as UTF-8. */
  string(): string {
    const [start, end] = this.lengthDelimited();
    try {
      return utf8.decode(this.buf.subarray(start, end));
    } catch {
      throw invalidOnnx(`field ${this.field} is not valid UTF-8`, this.tagAt);
    }
  }

  /** Reader of an embedded message, one level deeper. */
  message(): ProtobufReader {
    const [start, end] = this.lengthDelimited();
    if (this.depth + 1 > MAX_MESSAGE_DEPTH) throw invalidOnnx(`messages nested deeper than ${MAX_MESSAGE_DEPTH} levels`, this.tagAt);
    return new ProtobufReader(this.buf, end, start, this.depth + 1);
  }

  /** Skips the current field whatever its wire type (raw tensor data is skipped, not read). */
  skip(): void {
    switch (this.wireType) {
      case WireType.VARINT:
        this.rawVarint();
        return;
      case WireType.FIXED64:
        this.take(8);
        return;
      case WireType.FIXED32:
        this.take(4);
        return;
      default:
        this.lengthDelimited();
    }
  }

  private expect(wire: number): void {
    if (this.wireType !== wire) throw invalidOnnx(`field ${this.field} has wire type ${this.wireType}, expected ${wire}`, this.tagAt);
  }

  private lengthDelimited(): [number, number] {
    this.expect(WireType.LEN);
    const length = this.rawVarint();
    const start = this.pos;
    if (length > this.end - start) {
      throw invalidOnnx(`field ${this.field} claims ${length} bytes but its message has ${this.end - start} left`, this.tagAt);
    }
    this.pos = start + length;
    return [start, this.pos];
  }

  private take(n: number): number {
    const at = this.pos;
    if (n > this.end - at) throw invalidOnnx(`field ${this.field} is truncated`, this.tagAt);
    this.pos = at + n;
    return at;
  }

  /** Varint of up to 10 bytes; exact up to 2^53, monotone above (callers range-check). */
  private rawVarint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw invalidOnnx('truncated varint', this.pos);
      const b = this.buf[this.pos++]!;
      if (i === 9 && b > 1) throw invalidOnnx('varint overflows 64 bits', this.pos - 1);
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
    }
    throw invalidOnnx('varint longer than 10 bytes', this.pos - 10);
  }
}
