import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { InvalidStateError, TooLargeError, ValidationError } from '../../errors.js';
import type { BlobReader } from '../../storage/blob-store.port.js';
import type { CentralRecord } from './accept-central-record.js';
import { BlobRandomAccessReader } from './blob-random-access-reader.js';
import { openEntryStream } from './open-entry-stream.js';
import { readEntryBuffer } from './read-entry-buffer.js';
import { type CentralDirectory, readCentralDirectory } from './read-central-directory.js';
import { entryLabel } from './zip-errors.js';
import { resolveZipLimits, type ZipLimits } from './zip-limits.js';

/** One file or directory entry of a validated ZIP. */
export interface ZipEntryInfo {
  /** Entry name as stored (directories end with `/`); already checked by `checkEntryName`. */
  name: string;
  isDirectory: boolean;
  compressedSize: number;
  uncompressedSize: number;
}

/** A ZIP whose central directory has been fully validated; entry data is read lazily and metered. */
export interface SafeZip {
  /** File and directory entries in central-directory order, minus skipped ones. */
  readonly entries: readonly ZipEntryInfo[];
  /** Names skipped on purpose: anything under `__MACOSX/` and any `.DS_Store` (and `Thumbs.db`). */
  readonly skipped: readonly string[];
  /** Streams one entry's inflated bytes; the stream errors (ValidationError/TooLargeError naming the entry)
   *  as soon as real bytes exceed the declared size, maxEntryBytes, the ratio cap, or the running total cap. */
  openEntry(entry: ZipEntryInfo): Promise<Readable>;
  /** Reads a small entry fully (throws TooLargeError reason 'entry_too_large' if > maxBytes). */
  readEntry(entry: ZipEntryInfo, maxBytes: number): Promise<Buffer>;
  /** Destroys entry streams still open and releases the archive; the `BlobReader` stays the caller's to close. */
  close(): Promise<void>;
}

function tooLarge(name: string, bytes: number, maxBytes: number): TooLargeError {
  return new TooLargeError(`${entryLabel(name)} is ${bytes} bytes, over the ${maxBytes}-byte limit for this file`, {
    reason: 'entry_too_large',
    details: { entry: name, bytes, limit: maxBytes },
  });
}

async function collect(stream: Readable, name: string, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > maxBytes) {
      stream.destroy();
      throw tooLarge(name, length, maxBytes);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, length);
}

function indexRecords(directory: CentralDirectory) {
  const byInfo = new Map<ZipEntryInfo, CentralRecord>();
  const byName = new Map<string, CentralRecord>();
  const entries: ZipEntryInfo[] = [];
  const skipped: string[] = [];
  for (const record of directory.records) {
    if (record.skipped) {
      skipped.push(record.name);
      continue;
    }
    entries.push(record.info);
    byInfo.set(record.info, record);
    byName.set(record.name, record);
  }
  const find = (entry: ZipEntryInfo): CentralRecord => {
    const record = byInfo.get(entry) ?? byName.get(entry.name);
    const details = { entry: entry.name };
    if (!record) throw new ValidationError(`${entryLabel(entry.name)} is not part of this archive`, { reason: 'unknown_entry', details });
    if (record.info.isDirectory) throw new ValidationError(`${entryLabel(entry.name)} is a folder, not a file`, { reason: 'not_a_file', details });
    return record;
  };
  return { entries, skipped, find };
}

/** Entries up to this size are read whole in one read + one inflate instead of streamed. */
const BUFFERED_ENTRY_BYTES = 32 * 1024 * 1024;

function createSafeZip(directory: CentralDirectory, reader: BlobRandomAccessReader, limits: ZipLimits): SafeZip {
  const { entries, skipped, find } = indexRecords(directory);
  const streams = new Set<Readable>();
  const total = { bytes: 0 };
  let closed = false;
  const assertOpen = (): void => {
    if (closed) throw new InvalidStateError('The ZIP archive is already closed', { reason: 'zip_closed' });
  };
  const openEntry = async (entry: ZipEntryInfo): Promise<Readable> => {
    assertOpen();
    const record = find(entry);
    const dataEndLimit = directory.dataEndLimit.get(record) ?? 0;
    const stream = await openEntryStream({ zipfile: directory.zipfile, record, dataEndLimit, limits, total });
    if (closed) stream.destroy();
    assertOpen();
    streams.add(stream);
    stream.once('close', () => streams.delete(stream));
    return stream;
  };
  return {
    entries: Object.freeze(entries),
    skipped: Object.freeze(skipped),
    openEntry,
    async readEntry(entry, maxBytes) {
      const record = find(entry);
      if (record.info.uncompressedSize > maxBytes) throw tooLarge(record.name, record.info.uncompressedSize, maxBytes);
      if (record.info.uncompressedSize <= BUFFERED_ENTRY_BYTES) {
        assertOpen();
        return readEntryBuffer({ reader, record, dataEndLimit: directory.dataEndLimit.get(record) ?? 0, limits, total });
      }
      return collect(await openEntry(record.info), record.name, maxBytes);
    },
    async close() {
      if (closed) return;
      closed = true;
      const open = [...streams].filter((s) => !s.closed);
      const done = open.map((s) => once(s, 'close').catch(() => undefined));
      for (const stream of open) stream.destroy();
      await Promise.all(done);
      directory.zipfile.close();
    },
  };
}

/**
 * Opens and validates the whole central directory before returning (nothing extracted yet).
 *
 * Reads only through `reader` (random access, never the whole file in memory); the caller keeps owning
 * `reader` and closes it after `SafeZip.close()`. Throws `ValidationError`, `TooLargeError` or
 * `UnsupportedError` with a stable `reason` and a message naming the offending entry.
 * @example
 * const zip = await openSafeZip(await blobs.open('uploads/ds1.zip'), { maxEntries: 50_000 });
 * try {
 *   for (const entry of zip.entries) if (!entry.isDirectory) await blobs.write(entry.name, await zip.openEntry(entry));
 * } finally {
 *   await zip.close();
 * }
 */
export async function openSafeZip(reader: BlobReader, limits?: Partial<ZipLimits>): Promise<SafeZip> {
  const resolved = resolveZipLimits(limits);
  const randomAccess = new BlobRandomAccessReader(reader);
  const directory = await readCentralDirectory(randomAccess, reader.size, resolved);
  return createSafeZip(directory, randomAccess, resolved);
}
