import type { BlobReader } from '../../storage/blob-store.port.js';

/** Random access to a file's bytes: what the GGUF reader needs (a file handle, a blob, a buffer). */
export interface RangeReader {
  readonly size: number;
  /** Bytes `[offset, offset + length)`; never past `size`. */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** A {@link RangeReader} over bytes in memory. */
export function bytesRangeReader(bytes: Uint8Array): RangeReader {
  return { size: bytes.byteLength, read: async (offset, length) => bytes.subarray(offset, Math.min(bytes.byteLength, offset + length)) };
}

/** A {@link RangeReader} over a stored blob (ranges streamed from `createReadStream`). */
export function blobRangeReader(blob: BlobReader): RangeReader {
  return {
    size: blob.size,
    async read(offset, length) {
      const end = Math.min(blob.size, offset + length);
      if (end <= offset) return new Uint8Array(0);
      const chunks: Buffer[] = [];
      for await (const chunk of blob.createReadStream(offset, end)) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },
  };
}
