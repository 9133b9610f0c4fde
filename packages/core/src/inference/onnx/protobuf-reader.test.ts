import { describe, expect, test } from 'vitest';
import { ValidationError } from '../../errors.js';
import { MAX_MESSAGE_DEPTH, ProtobufReader } from './protobuf-reader.js';
import { concat, pb, varintBytes } from '../../../test/support/protobuf-fields.js';

/** Reads the first field of `bytes` with `read`. */
function first<T>(bytes: Uint8Array, read: (r: ProtobufReader) => T): T {
  const r = new ProtobufReader(bytes);
  expect(r.next()).toBe(true);
  return read(r);
}

function invalid(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).reason).toBe('invalid_onnx');
    return error as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

describe('ProtobufReader', () => {
  test.each([
    { given: 0, want: 0 },
    { given: 1, want: 1 },
    { given: 300, want: 300 },
    { given: 2 ** 32 + 5, want: 2 ** 32 + 5 },
    { given: Number.MAX_SAFE_INTEGER, want: Number.MAX_SAFE_INTEGER },
  ])('reads the unsigned varint $given', ({ given, want }) => {
    expect(first(pb.int(1, given), (r) => r.uint())).toBe(want);
  });

  test.each([
    { given: -1n, want: -1 },
    { given: -640n, want: -640 },
    { given: BigInt(Number.MIN_SAFE_INTEGER), want: Number.MIN_SAFE_INTEGER },
    { given: 123456789012n, want: 123456789012 },
  ])('reads the signed int64 $given from its 10-byte two\'s complement', ({ given, want }) => {
    expect(first(pb.int(1, given), (r) => r.int())).toBe(want);
  });

  test('rejects integers beyond the safe range instead of rounding them', () => {
    expect(invalid(() => first(pb.int(1, 2n ** 53n), (r) => r.uint())).message).toContain('too large');
    expect(invalid(() => first(pb.int(1, 2n ** 60n), (r) => r.int())).message).toContain('out of range');
    expect(invalid(() => first(pb.int(1, -(2n ** 60n)), (r) => r.int())).message).toContain('out of range');
  });

  test('reads fixed32, fixed64, strings and packed ints', () => {
    expect(first(pb.fixed32(1, 0xdeadbeef), (r) => r.fixed32())).toBe(0xdeadbeef);
    expect(first(pb.fixed64(1, 2 ** 40 + 3), (r) => r.fixed64())).toBe(2 ** 40 + 3);
    expect(first(pb.str(1, 'héllo'), (r) => r.string())).toBe('héllo');
    expect(first(pb.packed(1, [1, 3, 640, 640]), (r) => r.ints())).toEqual([1, 3, 640, 640]);
    expect(first(pb.int(1, 7), (r) => r.ints())).toEqual([7]);
  });

  test('skips unknown fields of every wire type and reads the fields after them', () => {
    const bytes = concat(pb.int(9, 5), pb.fixed32(10, 1), pb.fixed64(11, 2), pb.str(12, 'x'.repeat(300)), pb.int(1, 42));
    const r = new ProtobufReader(bytes);
    const seen: number[] = [];
    while (r.next()) {
      seen.push(r.field);
      if (r.field === 1) expect(r.uint()).toBe(42);
      else r.skip();
    }
    expect(seen).toEqual([9, 10, 11, 12, 1]);
  });

  test('a nested message reader stays inside its length', () => {
    const bytes = concat(pb.msg(1, pb.int(1, 7)), pb.int(2, 9));
    const outer = new ProtobufReader(bytes);
    outer.next();
    const inner = outer.message();
    expect(inner.depth).toBe(1);
    expect(inner.next() && inner.uint()).toBe(7);
    expect(inner.next()).toBe(false);
    expect(outer.next() && outer.uint()).toBe(9);
  });

  test.each([
    { name: 'a group (wire type 3)', bytes: [0x0b, 0x0c], want: 'group' },
    { name: 'an end-group tag (wire type 4)', bytes: [0x0c], want: 'group' },
    { name: 'wire type 6', bytes: [0x0e], want: 'unknown wire type 6' },
    { name: 'field number 0', bytes: [0x00, 0x01], want: 'bad field number 0' },
    { name: 'a truncated varint', bytes: [0x08, 0x80], want: 'truncated varint' },
    { name: 'an 11-byte varint', bytes: [0x08, ...Array<number>(10).fill(0xff), 0x01], want: '64 bits' },
    { name: 'a length past the end', bytes: [0x0a, 0x05, 0x61], want: 'claims 5 bytes but its message has 1 left' },
    { name: 'a truncated fixed32', bytes: [0x0d, 1, 2], want: 'truncated' },
    { name: 'a truncated fixed64', bytes: [0x09, 1, 2, 3, 4, 5, 6, 7], want: 'truncated' },
  ])('rejects $name, naming it and the byte offset', ({ bytes, want }) => {
    const error = invalid(() => {
      const r = new ProtobufReader(Uint8Array.from(bytes));
      while (r.next()) r.skip();
    });
    expect(error.message).toContain(want);
    expect(error.message).toMatch(/at byte \d+/);
  });

  test('rejects a field read with the wrong wire type', () => {
    expect(invalid(() => first(pb.str(3, 'x'), (r) => r.uint())).message).toContain('field 3 has wire type 2, expected 0');
    expect(invalid(() => first(pb.int(3, 1), (r) => r.string())).message).toContain('expected 2');
  });

  test('rejects a string that is not UTF-8', () => {
    expect(invalid(() => first(pb.bytes(1, Uint8Array.from([0xff, 0xfe])), (r) => r.string())).message).toContain('UTF-8');
  });

  test(`rejects messages nested deeper than ${MAX_MESSAGE_DEPTH} levels`, () => {
    let bytes = pb.int(1, 1);
    for (let i = 0; i < MAX_MESSAGE_DEPTH + 1; i++) bytes = pb.msg(1, bytes);
    const descend = (r: ProtobufReader): void => {
      while (r.next()) {
        if (r.wireType === 2) descend(r.message());
        else r.skip();
      }
    };
    expect(invalid(() => descend(new ProtobufReader(bytes))).message).toContain(`deeper than ${MAX_MESSAGE_DEPTH}`);
  });

  test('a varint tag of a huge field number is rejected', () => {
    expect(invalid(() => new ProtobufReader(Uint8Array.from(varintBytes(2 ** 40))).next()).message).toContain('bad field number');
  });
});
