import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import type { BlobReader } from '../../storage/blob-store.port.js';

/** Reads bytes `[start, end)` of a blob into one buffer. */
async function readRange(blob: BlobReader, start: number, end: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of blob.createReadStream(start, end) as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    length += chunk.length;
  }
  return Buffer.concat(chunks, length);
}

/**
 * yauzl's random access over a `BlobReader`. Small reads may fetch `readAhead` bytes at once and serve the
 * next reads from that block, so a central-directory scan costs a few large reads instead of two per record.
 */
export class BlobRandomAccessReader extends yauzl.RandomAccessReader {
  /** Bytes fetched per small read; 0 reads exactly what is asked (entry data, local headers). */
  readAhead = 0;
  private block: { start: number; bytes: Buffer } | undefined;

  constructor(private readonly blob: BlobReader) {
    super();
  }

  override _readStreamForRange(start: number, end: number): Readable {
    return this.blob.createReadStream(start, end);
  }

  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null) => void): void {
    const block = this.block;
    if (block && position >= block.start && position + length <= block.start + block.bytes.length) {
      block.bytes.copy(buffer, offset, position - block.start, position - block.start + length);
      setImmediate(callback, null); // never call back synchronously: yauzl would recurse once per record
      return;
    }
    const end = Math.min(this.blob.size, position + Math.max(length, this.readAhead));
    readRange(this.blob, position, Math.max(position, end)).then(
      (bytes) => {
        if (bytes.length < length) return callback(new Error('unexpected EOF'));
        this.block = this.readAhead > 0 ? { start: position, bytes } : undefined;
        bytes.copy(buffer, offset, 0, length);
        callback(null);
      },
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
    );
  }

  /** Reads bytes `[start, end)` directly (used to name a record yauzl refused). */
  readBytes(start: number, end: number): Promise<Buffer> {
    return readRange(this.blob, start, Math.min(end, this.blob.size));
  }

  override close(callback: (err: Error | null) => void): void {
    this.block = undefined;
    setImmediate(callback, null);
  }
}
