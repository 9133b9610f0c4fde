import { describe, expect, test } from 'vitest';
import { encodeGguf, tinyLlama, tinyLora, type GgufMeta, type GgufTensorSpec } from '../../../test/support/tiny-gguf.js';
import { ValidationError } from '../../errors.js';
import { bytesRangeReader } from './range-reader.js';
import { DEFAULT_GGUF_LIMITS, readGguf } from './read-gguf.js';
import { summarizeGguf } from './summarize-gguf.js';

const f32s = (n: number) => new Float32Array(n);
const T = (name: string, dims: number[], extra: Partial<GgufTensorSpec> = {}): GgufTensorSpec => ({ name, dims, data: f32s(dims.reduce((a, b) => a * b, 1)), ...extra });
const gguf = (metadata: Record<string, GgufMeta>, tensors: GgufTensorSpec[] = [T('a', [8])], options = {}) => encodeGguf(metadata, tensors, options);
const raw = (...parts: (number | bigint | string)[]) => ({
  raw: Buffer.concat(parts.map((p) => {
    if (typeof p === 'string') return Buffer.from(p);
    const b = Buffer.alloc(typeof p === 'bigint' ? 8 : 4);
    if (typeof p === 'bigint') b.writeBigUInt64LE(p); else b.writeUInt32LE(p);
    return b;
  })),
});
const tiny = tinyLlama();
const full = encodeGguf(tiny.metadata, tiny.tensors);

const read = (bytes: Uint8Array, limits = DEFAULT_GGUF_LIMITS) => readGguf(bytesRangeReader(bytes), 'm.gguf', limits);

describe('readGguf', () => {
  test('reads the tiny llama: header, metadata, every tensor inside the file, and the summary', async () => {
    const file = await read(full);
    expect(file.version).toBe(3);
    expect(file.alignment).toBe(32);
    expect(file.tensors).toHaveLength(21);
    const last = file.tensors.at(-1)!;
    expect(file.dataOffset + last.offset + last.size).toBe(full.length);
    expect(file.metadata.get('tokenizer.ggml.tokens')).toEqual({ array: true, type: 8, length: 260 });
    expect(summarizeGguf(file)).toEqual({
      format: 'gguf', gguf_version: 3, kind: 'model', architecture: 'llama', name: 'tiny-llama-1', context_length: 256, embedding_length: 64, block_count: 2,
      vocab_size: 260, tokenizer: 'llama', file_type: 0, file_type_name: 'F32', parameter_count: 115_520, tensor_count: 21, tensor_types: { F32: 21 },
    });
  });

  test('a LoRA adapter is summarized as one', async () => {
    const lora = tinyLora();
    const info = summarizeGguf(await read(encodeGguf(lora.metadata, lora.tensors)));
    expect(info).toMatchObject({ kind: 'adapter', adapter_type: 'lora', lora_alpha: 8, architecture: 'llama', tensor_count: 6 });
  });

  const small = { ...DEFAULT_GGUF_LIMITS, maxTensors: 2, maxKeys: 3, maxStringBytes: 16, maxArrayLength: 4 };
  const cases: { given: string; bytes: Uint8Array; limits?: typeof small; want: string }[] = [
    { given: 'an empty file', bytes: Buffer.alloc(0), want: 'm.gguf: GGUF file is truncated: the magic number at byte 0 needs 4 bytes, but the file ends at byte 0' },
    { given: 'garbage', bytes: Buffer.from('PK\u0003\u0004 this is a zip'), want: 'm.gguf: not a GGUF file: it starts with bytes 50 4B 03 04, not "GGUF" (47 47 55 46)' },
    { given: 'version 1', bytes: gguf({}, [], { version: 1 }), want: 'm.gguf: GGUF version 1 is not supported (versions 2 and 3 are; convert version 1 files again)' },
    { given: 'version 4', bytes: gguf({}, [], { version: 4 }), want: 'm.gguf: GGUF version 4 is not supported (versions 2 and 3 are)' },
    { given: 'a big-endian file', bytes: gguf({}, [], { version: 0x03000000 }), want: 'm.gguf: GGUF file is big-endian; llama.cpp here reads little-endian files' },
    { given: 'too many tensors', bytes: gguf({}, [T('a', [8]), T('b', [8]), T('c', [8])]), limits: small, want: 'm.gguf: GGUF header declares 3 tensors; at most 2 are accepted' },
    { given: 'too many keys', bytes: gguf({ a: 'x', b: 'x', c: 'x', d: 'x' }), limits: small, want: 'm.gguf: GGUF header declares 4 metadata keys; at most 3 are accepted' },
    { given: 'a long string', bytes: gguf({ 'general.name': 'x'.repeat(17) }), limits: small, want: 'm.gguf: metadata "general.name" is 17 bytes long; at most 16 are accepted' },
    { given: 'a long array', bytes: gguf({ list: { i32s: [1, 2, 3, 4, 5] } }), limits: small, want: 'm.gguf: metadata "list" has 5 elements; at most 4 are accepted' },
    { given: 'a string length past the end', bytes: gguf({ k: raw(8, 1_000_000n) }, []), want: 'm.gguf: GGUF file is truncated: metadata "k" at byte 45 needs 1000000 bytes, but the file ends at byte 64' },
    { given: 'a huge count', bytes: gguf({ k: raw(9, 4, 2n ** 63n) }, []), want: 'm.gguf: the length of "k" is 9223372036854775808, far more than any file holds' },
    { given: 'a bool of 2', bytes: gguf({ flag: raw(7, '\u0002') }), want: 'm.gguf: metadata "flag" is a bool stored as 2 (must be 0 or 1)' },
    { given: 'an unknown value type', bytes: gguf({ k: raw(13) }), want: 'm.gguf: metadata "k" has unknown value type 13' },
    { given: 'an array of arrays', bytes: gguf({ k: raw(9, 9, 0n) }), want: 'm.gguf: metadata "k" is an array of arrays, which llama.cpp does not read' },
    { given: 'a key twice', bytes: Buffer.concat([Buffer.from('GGUF'), raw(3, 0n, 2n).raw, raw(1n, 'k', 4, 1).raw, raw(1n, 'k', 4, 2).raw]), want: 'm.gguf: metadata key "k" appears twice' },
    { given: 'a non-UTF-8 string', bytes: gguf({ k: { raw: Buffer.concat([raw(8, 2n).raw, Buffer.from([0xc3, 0x28])]) } }, []), want: 'm.gguf: metadata "k" at byte 45 is not valid UTF-8' },
    { given: 'an alignment of 3', bytes: gguf({ 'general.alignment': { u32: 3 } }), want: 'm.gguf: general.alignment must be a power of two (got 3)' },
    { given: 'a 5-dimensional tensor', bytes: gguf({}, [T('t', [1, 1, 1, 1, 2])]), want: 'm.gguf: tensor t has 5 dimensions (1–4 allowed)' },
    { given: 'an unknown ggml type', bytes: gguf({}, [T('t', [8], { type: 4 })]), want: 'm.gguf: tensor t has unknown GGML type 4' },
    { given: 'a tensor name twice', bytes: gguf({}, [T('t', [8]), T('t', [8])]), want: 'm.gguf: tensor t appears twice' },
    { given: 'a row not of whole blocks', bytes: gguf({}, [T('q', [10, 2], { type: 2 })]), want: 'm.gguf: GGUF tensor q has rows of 10 elements, not a multiple of the Q4_0 block size (32)' },
    { given: 'a misaligned offset', bytes: gguf({}, [T('a', [8]), T('b', [8], { offset: 40 })]), want: 'm.gguf: GGUF tensor b starts at data offset 40, not a multiple of the alignment (32)' },
    { given: 'overlapping tensors', bytes: gguf({}, [T('a', [16]), T('b', [8], { offset: 32 })]), want: 'm.gguf: GGUF tensor b (data offset 32) overlaps tensor a, whose data ends at offset 64' },
    { given: 'a gap between tensors', bytes: gguf({}, [T('a', [8]), T('b', [8], { offset: 64 })]), want: 'm.gguf: GGUF tensor b starts at data offset 64; the tensors before it end at 32 (llama.cpp needs them packed in order)' },
    { given: 'truncated tensor data', bytes: full.subarray(0, full.length - 1), want: `m.gguf: GGUF tensor blk.1.ffn_down.weight ends at byte ${full.length}, past the end of the file (${full.length - 1} bytes)` },
  ];
  test.each(cases)('$given is a ValidationError naming the problem', async ({ bytes, limits, want }) => {
    const error = await read(bytes, limits).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toBe(want);
  });

  test('every truncation of the tiny model is refused (never a crash, never accepted)', async () => {
    for (let cut = 0; cut < full.length; cut += 997) {
      const error = await read(full.subarray(0, cut)).catch((e: unknown) => e);
      expect(error, `cut at ${cut}`).toBeInstanceOf(ValidationError);
    }
  });
});
