import { Readable } from 'node:stream';
import type { BlobReader } from '../../src/storage/blob-store.port.js';

/** Counters a test can assert on: nothing left open, nothing read past a limit. */
export interface MemoryBlobReaderStats {
  /** Streams created and not yet closed. */
  openStreams: number;
  streamsCreated: number;
  /** Bytes handed out by all streams so far. */
  bytesServed: number;
  /** Whether `close()` was called. */
  closed: boolean;
}

/** An in-memory `BlobReader` that also reports what was read and what is still open. */
export interface MemoryBlobReader extends BlobReader {
  readonly stats: MemoryBlobReaderStats;
}

/**
 * Random access over a buffer for tests: streams are lazy (one `chunkSize` slice per read, 64 KiB by
 * default) so a consumer that stops early really stops reading, and `stats` shows leaks and over-reads.
 * @example
 * const reader = memoryBlobReader(zipBytes({ 'a.txt': 'hi' }));
 * const zip = await openSafeZip(reader);
 */
export function memoryBlobReader(buf: Buffer, options: { chunkSize?: number } = {}): MemoryBlobReader {
  const chunkSize = options.chunkSize ?? 64 * 1024;
  const stats: MemoryBlobReaderStats = { openStreams: 0, streamsCreated: 0, bytesServed: 0, closed: false };
  return {
    size: buf.length,
    stats,
    createReadStream(start: number, end: number): Readable {
      if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= buf.length)) {
        throw new RangeError(`invalid range [${start}, ${end}) of a ${buf.length}-byte blob`);
      }
      let position = start;
      const stream = new Readable({
        read() {
          if (position >= end) return void this.push(null);
          const chunk = buf.subarray(position, Math.min(end, position + chunkSize));
          position += chunk.length;
          stats.bytesServed += chunk.length;
          this.push(chunk);
        },
      });
      stats.openStreams += 1;
      stats.streamsCreated += 1;
      stream.once('close', () => {
        stats.openStreams -= 1;
      });
      return stream;
    },
    async close() {
      stats.closed = true;
    },
  };
}
