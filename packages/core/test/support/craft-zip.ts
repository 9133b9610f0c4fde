import { constants, crc32, deflateRawSync } from 'node:zlib';
import {
  CENTRAL_HEADER_SIZE, LOCAL_HEADER_SIZE, type RecordFields, endRecordsSize, writeCentralHeader, writeEndRecords, writeLocalHeader,
  zip64SizesExtra,
} from './zip-records.js';

export { memoryBlobReader, type MemoryBlobReader, type MemoryBlobReaderStats } from './memory-blob-reader.js';

/** One entry of a hand-made ZIP; every field may lie, which is the point. */
export interface CraftEntry {
  /** Entry name, written verbatim as UTF-8 (unsafe names welcome: `../x`, `C:\\x`, NUL bytes). */
  name: string;
  /** Exact name bytes instead of UTF-8 `name` (e.g. CP437); `utf8` then defaults to false. */
  nameBytes?: Buffer;
  /** Set general-purpose bit 11 (name is UTF-8); default true unless `nameBytes` is given. */
  utf8?: boolean;
  /** Local-header name when it should differ from the central directory's. */
  localName?: string;
  /** Uncompressed content (default empty). */
  data?: Buffer | string;
  /** 0 stored, 8 deflate (default), anything else (12 bzip2, 14 LZMA…) writes `data` as-is under that number. */
  method?: number;
  /** Payload written as-is instead of compressing `data`; give `uncompressedSize` (and `crc32`, default 0). */
  compressed?: Buffer;
  uncompressedSize?: number;
  crc32?: number;
  /** Uncompressed size written in both headers instead of the real one. */
  declaredUncompressedSize?: number;
  /** Compressed size written in both headers instead of the real one (e.g. to swallow the next entry). */
  declaredCompressedSize?: number;
  /** Unix mode in the high 16 bits of the external attributes (0o120777 = symlink); default 0o100644 / 0o40755. */
  unixMode?: number;
  /** Set the traditional-encryption flag (bit 0) and prefix 12 header bytes. */
  encrypted?: boolean;
  /** Extra general-purpose flag bits OR-ed in (e.g. 0x41 for strong encryption). */
  flags?: number;
  /** A directory entry: `/` is appended when missing and it has no data. */
  directory?: boolean;
}

/** Archive-level lies. */
export interface CraftZipOptions {
  /** Extra central-directory records pointing at the local header of `entries[index]` (Fifield's overlap bomb). */
  overlaps?: { index: number; name: string }[];
  /** Entry count written in the end record instead of the real one. */
  declaredEntryCount?: number;
  /** Disk number in the end record (non-zero marks a multi-disk archive). */
  diskNumber?: number;
  /** Write Zip64 end records; default only past 65 535 records. */
  zip64?: boolean;
}

/** Raw deflate of `byteCount` zero bytes built from repeated 1 MiB blocks: ~1 KB per MiB, made in milliseconds. */
export function deflatedZeros(byteCount: number): Buffer {
  const mib = 1024 * 1024;
  const block = deflateRawSync(Buffer.alloc(Math.min(mib, byteCount)), { finishFlush: constants.Z_FULL_FLUSH });
  const parts = Array.from({ length: Math.floor(byteCount / mib) }, () => block);
  if (byteCount % mib !== 0) parts.push(deflateRawSync(Buffer.alloc(byteCount % mib), { finishFlush: constants.Z_FULL_FLUSH }));
  parts.push(deflateRawSync(Buffer.alloc(0)));
  return Buffer.concat(parts);
}

interface Piece {
  fields: RecordFields;
  name: Buffer;
  /** Zip64 sizes when a size needs more than 32 bits (written in both headers). */
  extra: Buffer;
  localName: Buffer;
  payload: Buffer;
}

function payloadOf(e: CraftEntry): { payload: Buffer; size: number; crc: number } {
  if (e.compressed) return { payload: e.compressed, size: e.uncompressedSize ?? 0, crc: e.crc32 ?? 0 };
  const data = typeof e.data === 'string' ? Buffer.from(e.data) : (e.data ?? Buffer.alloc(0));
  const body = (e.method ?? 8) === 8 ? deflateRawSync(data) : data;
  const payload = e.encrypted ? Buffer.concat([Buffer.alloc(12, 0xa5), body]) : body;
  return { payload, size: data.length, crc: e.crc32 ?? crc32(data) };
}

function pieceOf(e: CraftEntry, offset: number): Piece {
  const isDir = e.directory === true;
  const nameText = isDir && !e.name.endsWith('/') ? `${e.name}/` : e.name;
  const name = e.nameBytes ?? Buffer.from(nameText, 'utf8');
  const { payload, size, crc } = isDir ? { payload: Buffer.alloc(0), size: 0, crc: 0 } : payloadOf(e);
  const utf8 = e.utf8 ?? e.nameBytes === undefined;
  const mode = e.unixMode ?? (isDir ? 0o40755 : 0o100644);
  const fields: RecordFields = {
    versionMadeBy: (3 << 8) | 20, // Unix, spec 2.0
    flags: (utf8 ? 0x800 : 0) | (e.encrypted ? 0x1 : 0) | (e.flags ?? 0),
    method: e.method ?? (isDir ? 0 : 8),
    crc32: crc,
    compressedSize: e.declaredCompressedSize ?? payload.length,
    uncompressedSize: e.declaredUncompressedSize ?? size,
    externalAttributes: ((mode & 0xffff) << 16) >>> 0 | (isDir ? 0x10 : 0),
    localHeaderOffset: offset,
  };
  const extra = zip64SizesExtra(fields);
  return { fields, name, extra, localName: e.localName === undefined ? name : Buffer.from(e.localName), payload };
}

/**
 * Writes a ZIP byte by byte (local headers, central directory, end records) so tests can produce exactly
 * the malformed or hostile archives a reader must refuse.
 * @example craftZip([{ name: '../../evil.txt', data: 'x' }]);
 */
export function craftZip(entries: readonly CraftEntry[], options: CraftZipOptions = {}): Buffer {
  const pieces: Piece[] = [];
  let offset = 0;
  for (const entry of entries) {
    const piece = pieceOf(entry, offset);
    pieces.push(piece);
    offset += LOCAL_HEADER_SIZE + piece.localName.length + piece.extra.length + piece.payload.length;
  }
  const records = [...pieces];
  for (const overlap of options.overlaps ?? []) {
    const target = pieces[overlap.index];
    if (!target) throw new RangeError(`overlap index ${overlap.index} has no entry`);
    records.push({ ...target, name: Buffer.from(overlap.name) });
  }
  const centralSize = records.reduce((n, r) => n + CENTRAL_HEADER_SIZE + r.name.length + r.extra.length, 0);
  const zip64 = options.zip64 ?? records.length > 0xffff;
  const buf = Buffer.alloc(offset + centralSize + endRecordsSize(zip64));
  let pos = 0;
  for (const p of pieces) {
    pos = writeLocalHeader(buf, pos, p.fields, p.localName, p.extra);
    pos += p.payload.copy(buf, pos);
  }
  for (const r of records) pos = writeCentralHeader(buf, pos, r.fields, r.name, r.extra);
  const entryCount = options.declaredEntryCount ?? records.length;
  writeEndRecords(buf, pos, { entryCount, centralDirectorySize: centralSize, centralDirectoryOffset: offset, diskNumber: options.diskNumber ?? 0, zip64 });
  return buf;
}

/** A well-formed deflate ZIP of `files` (a name ending in `/` makes a directory). */
export function zipBytes(files: Record<string, Buffer | string>): Buffer {
  return craftZip(Object.entries(files).map(([name, data]) => (name.endsWith('/') ? { name, directory: true } : { name, data })));
}

/**
 * A ZIP of `count` empty stored files (or directories, with a trailing `/`) named `0`, `1`, … `count-1` in base 36, written in one pass into one
 * buffer (1 000 000 entries ≈ 80 MB in well under a second); Zip64 end records past 65 535 entries.
 */
export function manyEmptyEntriesZip(count: number, options: { declaredEntryCount?: number; directories?: boolean } = {}): Buffer {
  const suffix = options.directories === true ? '/' : '';
  const names = Array.from({ length: count }, (_, i) => Buffer.from(`${i.toString(36)}${suffix}`));
  const nameBytes = names.reduce((n, name) => n + name.length, 0);
  const centralSize = count * CENTRAL_HEADER_SIZE + nameBytes;
  const localSize = count * LOCAL_HEADER_SIZE + nameBytes;
  const zip64 = count > 0xffff;
  const buf = Buffer.alloc(localSize + centralSize + endRecordsSize(zip64));
  const fields: RecordFields = {
    versionMadeBy: (3 << 8) | 20, flags: 0x800, method: 0, crc32: 0, compressedSize: 0, uncompressedSize: 0,
    externalAttributes: (0o100644 << 16) >>> 0, localHeaderOffset: 0,
  };
  let pos = 0;
  for (const name of names) pos = writeLocalHeader(buf, pos, fields, name);
  let offset = 0;
  for (const name of names) {
    pos = writeCentralHeader(buf, pos, { ...fields, localHeaderOffset: offset }, name);
    offset += LOCAL_HEADER_SIZE + name.length;
  }
  const entryCount = options.declaredEntryCount ?? count;
  writeEndRecords(buf, pos, { entryCount, centralDirectorySize: centralSize, centralDirectoryOffset: localSize, diskNumber: 0, zip64 });
  return buf;
}
