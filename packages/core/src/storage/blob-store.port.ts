import type { Readable } from 'node:stream';

/** Random access to one stored blob (what a ZIP reader needs). */
export interface BlobReader {
  readonly size: number;
  /** Bytes `[start, end)` of the blob. */
  createReadStream(start: number, end: number): Readable;
  close(): Promise<void>;
}

export interface WriteOptions {
  /** fsync before returning (default true). */
  durable?: boolean;
}

export interface BlobStat {
  size: number;
  modifiedAt: Date;
}

/**
 * Byte storage addressed by `/`-separated keys (`datasets/ds_x/v1/images/train/a.jpg`).
 * Keys are validated by every adapter: no `..`, no empty or absolute segments, no backslashes.
 */
export interface BlobStore {
  /**
   * Writes atomically: readers see the old blob or the whole new one, never a part.
   * `durable: false` skips the per-file fsync (for staging files published later as one unit).
   */
  write(key: string, data: Readable | Uint8Array | string, options?: WriteOptions): Promise<{ size: number }>;
  /**
   * Appends bytes at the end of a blob (created when missing) and returns its new size; fsynced before it
   * resolves. Appends are not atomic to readers (a reader may see part of one). Optional: callers fall
   * back to a whole rewrite (`appendBlob`) on stores without it.
   */
  append?(key: string, data: Uint8Array | string): Promise<{ size: number }>;
  read(key: string): Promise<Readable>;
  readBytes(key: string): Promise<Buffer>;
  open(key: string): Promise<BlobReader>;
  stat(key: string): Promise<BlobStat | undefined>;
  /** Every key under `prefix` (recursive), sorted. */
  list(prefix: string): Promise<string[]>;
  /** Removes a key or everything under a prefix; missing is fine. */
  delete(keyOrPrefix: string): Promise<void>;
  /** Moves everything under `from` to `to`, replacing what was at `to` (atomic on local disks). */
  replacePrefix(from: string, to: string): Promise<void>;
  /** Filesystem path of a key, for adapters that have one (trainers and image decoders need paths). */
  localPath?(key: string): string;
}
