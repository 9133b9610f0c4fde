import type { Readable } from 'node:stream';
import { createInflateRaw } from 'node:zlib';
import { ValidationError, isCoreError, type CoreError } from '../../errors.js';
import type { CentralRecord } from './accept-central-record.js';
import { createEntryByteMeter } from './entry-byte-meter.js';
import type { LocalFileHeader, RawEntry, RawZipFile } from './yauzl-internals.js';
import { entryLabel, errorText, invalidEntry } from './zip-errors.js';
import type { ZipLimits } from './zip-limits.js';

/** Everything needed to stream one validated entry. */
export interface OpenEntryStreamOptions {
  zipfile: RawZipFile;
  record: CentralRecord;
  /** Offset the entry's data must end by (next local header or central directory). */
  dataEndLimit: number;
  limits: ZipLimits;
  /** Inflated bytes of the whole archive so far. */
  total: { bytes: number };
}

function readLocalHeader(zipfile: RawZipFile, entry: RawEntry): Promise<LocalFileHeader> {
  return new Promise((resolve, reject) => {
    zipfile.readLocalFileHeader(entry, { minimal: false }, (err, header) => (err ? reject(err) : resolve(header)));
  });
}

/** The entry's raw (still compressed) bytes; we inflate ourselves so that destroying really frees zlib. */
function openRawData(zipfile: RawZipFile, entry: RawEntry, fileDataStart: number): Promise<Readable> {
  const { compressedSize, uncompressedSize } = entry;
  return new Promise((resolve, reject) => {
    zipfile.openReadStreamLowLevel(fileDataStart, compressedSize, 0, compressedSize, false, uncompressedSize,
      (err, stream) => (err ? reject(err) : resolve(stream)));
  });
}

/** Checks that the local header agrees with the central directory and keeps its data inside its own range. */
function checkLocalHeader(o: OpenEntryStreamOptions, header: LocalFileHeader): void {
  const { name, entry } = o.record;
  if (!header.fileName.equals(entry.fileNameRaw)) {
    throw invalidEntry(name, 'its local header names a different file than the central directory');
  }
  const encrypted = (flags: number): number => flags & 0x1;
  if (header.compressionMethod !== entry.compressionMethod || encrypted(header.generalPurposeBitFlag) !== encrypted(entry.generalPurposeBitFlag)) {
    throw invalidEntry(name, 'its local header disagrees with the central directory about compression or encryption');
  }
  const dataEnd = header.fileDataStart + entry.compressedSize;
  if (dataEnd > o.dataEndLimit) {
    throw new ValidationError(`${entryLabel(name)} overlaps the entry after it (overlapping entries are a ZIP bomb technique)`, {
      reason: 'overlapping_entries',
      details: { entry: name, end: dataEnd, limit: o.dataEndLimit },
    });
  }
}

function streamError(name: string, error: unknown): CoreError {
  if (isCoreError(error)) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return invalidEntry(name, `its compressed data is corrupt (${errorText(error)})`, error);
  }
  return invalidEntry(name, errorText(error), error);
}

/**
 * Streams one entry's inflated bytes through a byte meter; the stream fails with an error naming the entry
 * when the data is corrupt or breaks a limit, and destroying it releases the underlying blob stream.
 */
export async function openEntryStream(o: OpenEntryStreamOptions): Promise<Readable> {
  const { name, entry } = o.record;
  let raw: Readable;
  try {
    const header = await readLocalHeader(o.zipfile, entry);
    checkLocalHeader(o, header);
    raw = await openRawData(o.zipfile, entry, header.fileDataStart);
  } catch (error) {
    throw streamError(name, error);
  }
  const meter = createEntryByteMeter({
    name, declaredBytes: entry.uncompressedSize, compressedBytes: entry.compressedSize, crc32: entry.crc32,
    limits: o.limits, total: o.total,
  });
  // An empty deflate entry with no data at all is accepted as empty rather than as truncated.
  const inflate = entry.compressionMethod === 8 && entry.compressedSize > 0 ? createInflateRaw() : undefined;
  const stages: Readable[] = inflate ? [raw, inflate] : [raw];
  for (const stage of stages) stage.on('error', (error) => meter.destroy(streamError(name, error)));
  // The pipe below inflates before the caller starts reading, so the meter can fail (a size lie in the
  // first 16 KB) while nobody listens yet; an 'error' event without a listener would kill the process.
  // The error stays on the destroyed stream (`meter.errored`) and is thrown to whoever reads it later.
  meter.on('error', () => {});
  meter.once('close', () => stages.forEach((stage) => stage.destroy()));
  return (inflate ? raw.pipe(inflate) : raw).pipe(meter);
}
