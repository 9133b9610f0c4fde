import { GgufCursor } from './gguf-cursor.js';
import { GGML_TYPES, GGUF_SCALAR_SIZES, GGUF_VALUE_TYPES as T } from './ggml-types.js';
import { checkTensorData, type GgufTensor } from './check-tensor-data.js';
import type { RangeReader } from './range-reader.js';

/** A metadata value: scalars as read (uint64/int64 as numbers when safe, else decimal strings); arrays summarized. */
export type GgufValue = number | string | boolean | { array: true; type: number; length: number; /** Values of arrays of ≤ 64 scalars. */ values?: (number | string | boolean)[] };

/** What the header, metadata and tensor table of a GGUF file say, every tensor checked to lie inside the file. */
export interface GgufFile {
  version: 2 | 3;
  alignment: number;
  metadata: Map<string, GgufValue>;
  tensors: GgufTensor[];
  /** Absolute byte offset of the tensor data section. */
  dataOffset: number;
  size: number;
}

/** Caps on what a header may declare (a hostile file cannot make the reader allocate or loop without end). */
export interface GgufLimits {
  maxTensors: number;
  maxKeys: number;
  maxStringBytes: number;
  maxArrayLength: number;
  /** Bytes of header + metadata + tensor infos. */
  maxHeaderBytes: number;
}

export const DEFAULT_GGUF_LIMITS: GgufLimits = {
  maxTensors: 100_000, maxKeys: 100_000, maxStringBytes: 64 * 1024 * 1024, maxArrayLength: 16 * 1024 * 1024, maxHeaderBytes: 512 * 1024 * 1024,
};

const MAGIC = 0x46554747; // "GGUF" read little-endian
const MAX_DIMS = 4;
const MAX_NAME = 63; // GGML_MAX_NAME (64) including the terminating NUL

const asNumber = (value: bigint) => (value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString());

async function readScalar(c: GgufCursor, type: number, what: string, limits: GgufLimits): Promise<number | string | boolean> {
  if (type === T.STRING) return c.string(what, limits.maxStringBytes);
  const size = GGUF_SCALAR_SIZES[type];
  if (size === undefined) throw c.fail(`${what} has unknown value type ${type}`);
  await c.need(size, what);
  switch (type) {
    case T.UINT8: return c.u8();
    case T.INT8: return c.i8();
    case T.UINT16: return c.u16();
    case T.INT16: return c.i16();
    case T.UINT32: return c.u32();
    case T.INT32: return c.i32();
    case T.FLOAT32: return c.f32();
    case T.FLOAT64: return c.f64();
    case T.UINT64: return asNumber(c.u64());
    case T.INT64: return asNumber(c.i64());
    default: {
      const byte = c.u8();
      if (byte > 1) throw c.fail(`${what} is a bool stored as ${byte} (must be 0 or 1)`);
      return byte === 1;
    }
  }
}

async function readValue(c: GgufCursor, type: number, key: string, limits: GgufLimits): Promise<GgufValue> {
  if (type !== T.ARRAY) return readScalar(c, type, `metadata "${key}"`, limits);
  await c.need(4, `the element type of "${key}"`);
  const elementType = c.u32();
  if (elementType === T.ARRAY) throw c.fail(`metadata "${key}" is an array of arrays, which llama.cpp does not read`);
  if (elementType !== T.STRING && GGUF_SCALAR_SIZES[elementType] === undefined) throw c.fail(`metadata "${key}" is an array of unknown value type ${elementType}`);
  const length = await c.safeU64(`the length of "${key}"`);
  if (length > limits.maxArrayLength) throw c.fail(`metadata "${key}" has ${length} elements; at most ${limits.maxArrayLength} are accepted`, 'gguf_too_large');
  const fixed = GGUF_SCALAR_SIZES[elementType];
  const keep = length <= 64;
  const values: (number | string | boolean)[] = [];
  if (fixed !== undefined && !keep) {
    await c.skip(length * fixed, `the ${length} elements of "${key}"`);
  } else {
    for (let i = 0; i < length; i++) {
      const value = await readScalar(c, elementType, `element ${i} of "${key}"`, limits);
      if (keep) values.push(value);
    }
  }
  return { array: true, type: elementType, length, ...(keep ? { values } : {}) };
}

async function readHeader(c: GgufCursor, limits: GgufLimits): Promise<{ version: 2 | 3; tensorCount: number; keyCount: number }> {
  await c.need(4, 'the magic number');
  const magic = c.u32();
  if (magic !== MAGIC) {
    const bytes = [0, 8, 16, 24].map((shift) => ((magic >>> shift) & 0xff).toString(16).toUpperCase().padStart(2, '0')).join(' ');
    throw c.fail(`not a GGUF file: it starts with bytes ${bytes}, not "GGUF" (47 47 55 46)`, 'not_gguf');
  }
  await c.need(4, 'the version');
  const version = c.u32();
  if (version === 0x02000000 || version === 0x03000000) throw c.fail('GGUF file is big-endian; llama.cpp here reads little-endian files', 'gguf_version');
  if (version !== 2 && version !== 3) {
    throw c.fail(`GGUF version ${version} is not supported (versions 2 and 3 are${version === 1 ? '; convert version 1 files again' : ''})`, 'gguf_version');
  }
  const tensorCount = await c.safeU64('the tensor count');
  if (tensorCount > limits.maxTensors) throw c.fail(`GGUF header declares ${tensorCount} tensors; at most ${limits.maxTensors} are accepted`, 'gguf_too_large');
  const keyCount = await c.safeU64('the metadata key count');
  if (keyCount > limits.maxKeys) throw c.fail(`GGUF header declares ${keyCount} metadata keys; at most ${limits.maxKeys} are accepted`, 'gguf_too_large');
  return { version, tensorCount, keyCount };
}

async function readTensorInfo(c: GgufCursor, index: number): Promise<Omit<GgufTensor, 'size'>> {
  const name = await c.string(`the name of tensor ${index}`, 1024);
  if (name.length === 0 || Buffer.byteLength(name) > MAX_NAME) throw c.fail(`tensor ${index} has a name of ${Buffer.byteLength(name)} bytes (1–${MAX_NAME} allowed)`);
  await c.need(4, `the dimension count of tensor ${name}`);
  const nDims = c.u32();
  if (nDims < 1 || nDims > MAX_DIMS) throw c.fail(`tensor ${name} has ${nDims} dimensions (1–${MAX_DIMS} allowed)`);
  const dims: number[] = [];
  for (let d = 0; d < nDims; d++) dims.push(await c.safeU64(`dimension ${d} of tensor ${name}`));
  await c.need(4, `the type of tensor ${name}`);
  const type = c.u32();
  if (!GGML_TYPES[type]) throw c.fail(`tensor ${name} has unknown GGML type ${type}`);
  const offset = await c.safeU64(`the data offset of tensor ${name}`);
  return { name, dims, type, typeName: GGML_TYPES[type]!.name, offset };
}

/**
 * Reads and checks a GGUF file's header: magic `GGUF`, version 2 or 3, the metadata (every typed value,
 * caps on counts, strings and arrays, unique keys, `general.alignment`), the tensor infos (name, dims,
 * GGML type, offset) and the tensor data table against the file (see `checkTensorData`). Bad or
 * truncated input → ValidationError naming the problem, prefixed by `label`.
 * @see https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
 * @example const gguf = await readGguf(bytesRangeReader(bytes), 'model.gguf');
 */
export async function readGguf(reader: RangeReader, label: string, limits: GgufLimits = DEFAULT_GGUF_LIMITS): Promise<GgufFile> {
  const c = new GgufCursor(reader, label);
  const { version, tensorCount, keyCount } = await readHeader(c, limits);
  const metadata = new Map<string, GgufValue>();
  for (let i = 0; i < keyCount; i++) {
    const key = await c.string(`metadata key ${i}`, 65_535);
    if (metadata.has(key)) throw c.fail(`metadata key "${key}" appears twice`);
    await c.need(4, `the value type of "${key}"`);
    metadata.set(key, await readValue(c, c.u32(), key, limits));
    if (c.pos > limits.maxHeaderBytes) throw c.fail(`GGUF metadata is larger than ${limits.maxHeaderBytes} bytes`, 'gguf_too_large');
  }
  const alignment = metadata.get('general.alignment') ?? 32;
  if (typeof alignment !== 'number' || !Number.isInteger(alignment) || alignment <= 0 || (alignment & (alignment - 1)) !== 0) {
    throw c.fail(`general.alignment must be a power of two (got ${JSON.stringify(alignment)})`);
  }
  const infos: Omit<GgufTensor, 'size'>[] = [];
  const names = new Set<string>();
  for (let i = 0; i < tensorCount; i++) {
    const info = await readTensorInfo(c, i);
    if (names.has(info.name)) throw c.fail(`tensor ${info.name} appears twice`);
    names.add(info.name);
    infos.push(info);
    if (c.pos > limits.maxHeaderBytes) throw c.fail(`GGUF tensor infos are larger than ${limits.maxHeaderBytes} bytes`, 'gguf_too_large');
  }
  const dataOffset = Math.ceil(c.pos / alignment) * alignment;
  const tensors = checkTensorData(infos, { dataOffset, alignment, fileSize: reader.size, fail: (m, d) => c.fail(m, 'gguf_tensor_data', d) });
  return { version, alignment, metadata, tensors, dataOffset, size: reader.size };
}
