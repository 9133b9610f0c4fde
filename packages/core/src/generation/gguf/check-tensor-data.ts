import { GGML_TYPES } from './ggml-types.js';

/** One tensor of a GGUF file: `offset` is relative to the data section, `size` its bytes. */
export interface GgufTensor {
  name: string;
  /** ggml order (`ne[0]` first: the row length). */
  dims: number[];
  type: number;
  typeName: string;
  offset: number;
  size: number;
}

interface TableContext {
  dataOffset: number;
  alignment: number;
  fileSize: number;
  fail: (message: string, details: Record<string, unknown>) => Error;
}

/** Bytes a tensor takes (rows of whole blocks); undefined when its row length is not a multiple of the block size. */
export function tensorBytes(dims: readonly number[], type: number): bigint | undefined {
  const { blockSize, typeSize } = GGML_TYPES[type]!;
  if ((dims[0] ?? 0) % blockSize !== 0) return undefined;
  const elements = dims.reduce((n, d) => n * BigInt(d), 1n);
  return (elements / BigInt(blockSize)) * BigInt(typeSize);
}

/**
 * Checks the tensor data table the way llama.cpp loads it: each offset a multiple of the alignment, the
 * tensors packed in file order (each starts where the previous one's padded data ends: no overlap, no
 * gap), and every tensor's bytes inside the file. Returns the tensors with their sizes.
 */
export function checkTensorData(infos: readonly Omit<GgufTensor, 'size'>[], ctx: TableContext): GgufTensor[] {
  const { dataOffset, alignment, fileSize, fail } = ctx;
  const pad = (n: bigint) => ((n + BigInt(alignment) - 1n) / BigInt(alignment)) * BigInt(alignment);
  let expected = 0n;
  let previous: GgufTensor | undefined;
  const out: GgufTensor[] = [];
  for (const info of infos) {
    const bytes = tensorBytes(info.dims, info.type);
    if (bytes === undefined) {
      throw fail(`GGUF tensor ${info.name} has rows of ${info.dims[0]} elements, not a multiple of the ${info.typeName} block size (${GGML_TYPES[info.type]!.blockSize})`, { tensor: info.name });
    }
    if (info.offset % alignment !== 0) {
      throw fail(`GGUF tensor ${info.name} starts at data offset ${info.offset}, not a multiple of the alignment (${alignment})`, { tensor: info.name });
    }
    const offset = BigInt(info.offset);
    if (offset < expected && previous) {
      throw fail(`GGUF tensor ${info.name} (data offset ${info.offset}) overlaps tensor ${previous.name}, whose data ends at offset ${BigInt(previous.offset) + BigInt(previous.size)}`, { tensor: info.name });
    }
    if (offset !== expected) {
      throw fail(`GGUF tensor ${info.name} starts at data offset ${info.offset}; the tensors before it end at ${expected} (llama.cpp needs them packed in order)`, { tensor: info.name });
    }
    const end = BigInt(dataOffset) + offset + bytes;
    if (end > BigInt(fileSize)) {
      throw fail(`GGUF tensor ${info.name} ends at byte ${end}, past the end of the file (${fileSize} bytes)`, { tensor: info.name, end: Number(end), file_size: fileSize });
    }
    previous = { ...info, size: Number(bytes) };
    out.push(previous);
    expected = offset + pad(bytes);
  }
  return out;
}
