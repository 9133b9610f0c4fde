import { promisify } from 'node:util';
import { crc32, inflateRaw, type ZlibOptions } from 'node:zlib';
import { ValidationError, isCoreError } from '../../errors.js';
import type { CentralRecord } from './accept-central-record.js';
import type { BlobRandomAccessReader } from './blob-random-access-reader.js';
import { checkEntryEnd, overrun, type EntryByteMeterOptions } from './entry-byte-meter.js';
import { entryLabel, errorText, invalidEntry } from './zip-errors.js';
import type { ZipLimits } from './zip-limits.js';

const inflateRawAsync = promisify<Buffer, ZlibOptions, Buffer>(inflateRaw);
const LOCAL_HEADER_SIGNATURE = 0x04034b50;
/** Local extra-field bytes read along with the header in the first read (more costs a second read). */
const EXTRA_GUESS = 256;

export interface ReadEntryBufferOptions {
  reader: BlobRandomAccessReader;
  record: CentralRecord;
  /** Offset the entry's data must end by (next local header or central directory). */
  dataEndLimit: number;
  limits: ZipLimits;
  total: { bytes: number };
}

/** Parses the local header in `head`, checks it against the central directory, and returns where data starts. */
function dataOffset(o: ReadEntryBufferOptions, head: Buffer): number {
  const { name, entry } = o.record;
  if (head.length < 30 || head.readUInt32LE(0) !== LOCAL_HEADER_SIGNATURE) throw invalidEntry(name, 'its local header is missing or corrupt');
  const nameLength = head.readUInt16LE(26);
  const localName = head.subarray(30, 30 + nameLength);
  if (localName.length !== nameLength || !localName.equals(entry.fileNameRaw)) {
    throw invalidEntry(name, 'its local header names a different file than the central directory');
  }
  if (head.readUInt16LE(8) !== entry.compressionMethod || (head.readUInt16LE(6) & 1) !== (entry.generalPurposeBitFlag & 1)) {
    throw invalidEntry(name, 'its local header disagrees with the central directory about compression or encryption');
  }
  const start = entry.relativeOffsetOfLocalHeader + 30 + nameLength + head.readUInt16LE(28);
  if (start + entry.compressedSize > o.dataEndLimit) {
    throw new ValidationError(`${entryLabel(name)} overlaps the entry after it (overlapping entries are a ZIP bomb technique)`, {
      reason: 'overlapping_entries',
      details: { entry: name, end: start + entry.compressedSize, limit: o.dataEndLimit },
    });
  }
  return start;
}

async function inflate(o: ReadEntryBufferOptions, data: Buffer): Promise<Buffer> {
  const { name, entry } = o.record;
  if (entry.compressionMethod !== 8 || entry.compressedSize === 0) return data;
  try {
    // One output chunk of the declared size: zlib then calls back once, not once per 16 KiB.
    const size = Math.max(64, Math.min(entry.uncompressedSize, 8 * 1024 * 1024));
    return await inflateRawAsync(data, { maxOutputLength: Math.max(1, entry.uncompressedSize), chunkSize: size });
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new ValidationError(`${entryLabel(name)} inflates to more than its declared ${entry.uncompressedSize} bytes`, {
        reason: 'size_mismatch',
        details: { entry: name },
      });
    }
    throw invalidEntry(name, `its compressed data is corrupt (${errorText(error)})`, error);
  }
}

/**
 * Reads one small entry whole: local header and data in one read, one bounded inflate (never more than
 * the declared size is produced), then the same size, ratio, total and CRC-32 checks as the streaming path.
 */
export async function readEntryBuffer(o: ReadEntryBufferOptions): Promise<Buffer> {
  const { name, entry } = o.record;
  try {
    const headStart = entry.relativeOffsetOfLocalHeader;
    const guessEnd = Math.min(o.dataEndLimit, headStart + 30 + entry.fileNameRaw.length + EXTRA_GUESS + entry.compressedSize);
    const first = await o.reader.readBytes(headStart, guessEnd);
    const start = dataOffset(o, first);
    const end = start + entry.compressedSize;
    const data = end - headStart <= first.length ? first.subarray(start - headStart, end - headStart) : await o.reader.readBytes(start, end);
    if (data.length < entry.compressedSize) throw invalidEntry(name, 'its data is cut short (truncated ZIP)');
    const out = await inflate(o, data);
    const meter: EntryByteMeterOptions = {
      name, declaredBytes: entry.uncompressedSize, compressedBytes: entry.compressedSize, crc32: entry.crc32, limits: o.limits, total: o.total,
    };
    if (out.length > entry.uncompressedSize) {
      throw new ValidationError(`${entryLabel(name)} inflates to more than its declared ${entry.uncompressedSize} bytes`, { reason: 'size_mismatch', details: { entry: name } });
    }
    o.total.bytes += out.length;
    const error = overrun(meter, out.length) ?? checkEntryEnd(meter, out.length, crc32(out));
    if (error) throw error;
    return out;
  } catch (error) {
    throw isCoreError(error) ? error : invalidEntry(name, errorText(error), error);
  }
}
