/*
 * Byte layouts of the ZIP records (APPNOTE.TXT 4.3), written by hand so tests can build archives that no
 * well-behaved writer would produce. Every writer takes a buffer and a position and returns the new position.
 * @see https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT
 */

/** Fields shared by a local file header and its central-directory record. */
export interface RecordFields {
  versionMadeBy: number;
  flags: number;
  method: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  externalAttributes: number;
  localHeaderOffset: number;
}

export const LOCAL_HEADER_SIZE = 30;
export const CENTRAL_HEADER_SIZE = 46;
export const END_RECORD_SIZE = 22;
export const ZIP64_END_RECORD_SIZE = 56;
export const ZIP64_LOCATOR_SIZE = 20;
/** 1980-01-01 00:00 in MS-DOS date/time. */
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

const NO_EXTRA: Buffer = Buffer.alloc(0);

/** Writes a local file header followed by `name` and `extra` (extra fields, already encoded). */
export function writeLocalHeader(buf: Buffer, pos: number, f: RecordFields, name: Buffer, extra = NO_EXTRA): number {
  buf.writeUInt32LE(0x04034b50, pos);
  buf.writeUInt16LE(20, pos + 4);
  buf.writeUInt16LE(f.flags, pos + 6);
  buf.writeUInt16LE(f.method, pos + 8);
  buf.writeUInt16LE(0, pos + 10);
  buf.writeUInt16LE(DOS_DATE, pos + 12);
  buf.writeUInt32LE(f.crc32 >>> 0, pos + 14);
  buf.writeUInt32LE(f.compressedSize, pos + 18);
  buf.writeUInt32LE(f.uncompressedSize, pos + 22);
  buf.writeUInt16LE(name.length, pos + 26);
  buf.writeUInt16LE(extra.length, pos + 28);
  const end = pos + LOCAL_HEADER_SIZE + name.copy(buf, pos + LOCAL_HEADER_SIZE);
  return end + extra.copy(buf, end);
}

/** Writes a central-directory file header followed by `name` and `extra`. */
export function writeCentralHeader(buf: Buffer, pos: number, f: RecordFields, name: Buffer, extra = NO_EXTRA): number {
  buf.writeUInt32LE(0x02014b50, pos);
  buf.writeUInt16LE(f.versionMadeBy, pos + 4);
  buf.writeUInt16LE(20, pos + 6);
  buf.writeUInt16LE(f.flags, pos + 8);
  buf.writeUInt16LE(f.method, pos + 10);
  buf.writeUInt16LE(0, pos + 12);
  buf.writeUInt16LE(DOS_DATE, pos + 14);
  buf.writeUInt32LE(f.crc32 >>> 0, pos + 16);
  buf.writeUInt32LE(f.compressedSize, pos + 20);
  buf.writeUInt32LE(f.uncompressedSize, pos + 24);
  buf.writeUInt16LE(name.length, pos + 28);
  buf.writeUInt16LE(extra.length, pos + 30);
  buf.fill(0, pos + 32, pos + 38); // comment length, disk number, internal attributes
  buf.writeUInt32LE(f.externalAttributes >>> 0, pos + 38);
  buf.writeUInt32LE(f.localHeaderOffset, pos + 42);
  const end = pos + CENTRAL_HEADER_SIZE + name.copy(buf, pos + CENTRAL_HEADER_SIZE);
  return end + extra.copy(buf, end);
}

/**
 * Moves sizes that do not fit 32 bits into a Zip64 extended-information extra field (0x0001), leaving
 * 0xFFFFFFFF in the header fields, and returns the encoded extra field (empty when none is needed).
 */
export function zip64SizesExtra(f: RecordFields): Buffer {
  const big = [f.uncompressedSize, f.compressedSize].filter((n) => n >= 0xffffffff);
  if (big.length === 0) return NO_EXTRA;
  const extra = Buffer.alloc(4 + 8 * big.length);
  extra.writeUInt16LE(0x0001, 0);
  extra.writeUInt16LE(8 * big.length, 2);
  big.forEach((n, i) => extra.writeBigUInt64LE(BigInt(n), 4 + 8 * i));
  if (f.uncompressedSize >= 0xffffffff) f.uncompressedSize = 0xffffffff;
  if (f.compressedSize >= 0xffffffff) f.compressedSize = 0xffffffff;
  return extra;
}

/** Where the central directory lies, for the end records. */
export interface EndFields {
  entryCount: number;
  centralDirectorySize: number;
  centralDirectoryOffset: number;
  diskNumber: number;
  /** Write a Zip64 end record and locator first (needed past 65 535 entries). */
  zip64: boolean;
}

function writeZip64End(buf: Buffer, pos: number, e: EndFields): number {
  buf.writeUInt32LE(0x06064b50, pos);
  buf.writeBigUInt64LE(BigInt(ZIP64_END_RECORD_SIZE - 12), pos + 4);
  buf.writeUInt16LE(45, pos + 12);
  buf.writeUInt16LE(45, pos + 14);
  buf.writeUInt32LE(e.diskNumber, pos + 16);
  buf.writeUInt32LE(e.diskNumber, pos + 20);
  buf.writeBigUInt64LE(BigInt(e.entryCount), pos + 24);
  buf.writeBigUInt64LE(BigInt(e.entryCount), pos + 32);
  buf.writeBigUInt64LE(BigInt(e.centralDirectorySize), pos + 40);
  buf.writeBigUInt64LE(BigInt(e.centralDirectoryOffset), pos + 48);
  const locator = pos + ZIP64_END_RECORD_SIZE;
  buf.writeUInt32LE(0x07064b50, locator);
  buf.writeUInt32LE(e.diskNumber, locator + 4);
  buf.writeBigUInt64LE(BigInt(pos), locator + 8);
  buf.writeUInt32LE(e.diskNumber + 1, locator + 16);
  return locator + ZIP64_LOCATOR_SIZE;
}

/** Writes the end records (Zip64 ones too when asked); `pos` must be the archive offset. */
export function writeEndRecords(buf: Buffer, pos: number, e: EndFields): number {
  const start = e.zip64 ? writeZip64End(buf, pos, e) : pos;
  const count = e.zip64 ? 0xffff : e.entryCount;
  buf.writeUInt32LE(0x06054b50, start);
  buf.writeUInt16LE(e.zip64 ? 0xffff : e.diskNumber, start + 4);
  buf.writeUInt16LE(e.zip64 ? 0xffff : e.diskNumber, start + 6);
  buf.writeUInt16LE(count, start + 8);
  buf.writeUInt16LE(count, start + 10);
  buf.writeUInt32LE(e.zip64 ? 0xffffffff : e.centralDirectorySize, start + 12);
  buf.writeUInt32LE(e.zip64 ? 0xffffffff : e.centralDirectoryOffset, start + 16);
  buf.writeUInt16LE(0, start + 20);
  return start + END_RECORD_SIZE;
}

/** Bytes the end records take. */
export const endRecordsSize = (zip64: boolean): number => END_RECORD_SIZE + (zip64 ? ZIP64_END_RECORD_SIZE + ZIP64_LOCATOR_SIZE : 0);
