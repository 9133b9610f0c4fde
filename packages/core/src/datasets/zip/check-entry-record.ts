import { TooLargeError, UnsupportedError, ValidationError } from '../../errors.js';
import { entryLabel } from './zip-errors.js';
import { RATIO_EXEMPT_BYTES, type ZipLimits } from './zip-limits.js';

/** The central-directory fields one record is judged on. */
export interface EntryRecordFields {
  externalFileAttributes: number;
  generalPurposeBitFlag: number;
  compressionMethod: number;
  compressedSize: number;
  uncompressedSize: number;
}

const METHOD_NAMES: Record<number, string> = {
  1: 'shrink', 6: 'implode', 9: 'deflate64', 12: 'bzip2', 14: 'LZMA', 93: 'zstd', 95: 'xz', 98: 'PPMd',
};
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
/** WinZip AES puts method 99 in the header and the real method in an extra field. */
const AES_METHOD = 99;

function checkKind(name: string, fields: EntryRecordFields): void {
  const details = { entry: name };
  if (((fields.externalFileAttributes >>> 16) & S_IFMT) === S_IFLNK) {
    throw new ValidationError(`${entryLabel(name)} is a symbolic link; links are not allowed in a dataset`, { reason: 'link_entry', details });
  }
  if ((fields.generalPurposeBitFlag & 0x1) !== 0 || fields.compressionMethod === AES_METHOD) {
    throw new UnsupportedError(`${entryLabel(name)} is encrypted; upload a ZIP without a password`, { reason: 'encrypted_entry', details });
  }
  const method = fields.compressionMethod;
  if (method !== 0 && method !== 8) {
    const known = METHOD_NAMES[method] === undefined ? '' : ` (${METHOD_NAMES[method]})`;
    throw new UnsupportedError(
      `${entryLabel(name)} uses compression method ${method}${known}; only stored (0) and deflate (8) are supported`,
      { reason: 'unsupported_compression', details: { ...details, method } },
    );
  }
  if (method === 0 && fields.compressedSize !== fields.uncompressedSize) {
    throw new ValidationError(
      `${entryLabel(name)} is stored uncompressed but declares ${fields.compressedSize} compressed and ${fields.uncompressedSize} uncompressed bytes`,
      { reason: 'size_mismatch', details },
    );
  }
}

function checkDeclaredSize(name: string, fields: EntryRecordFields, limits: ZipLimits): void {
  const { compressedSize, uncompressedSize } = fields;
  const details = { entry: name, compressedSize, uncompressedSize };
  if (uncompressedSize > limits.maxEntryBytes) {
    throw new TooLargeError(
      `${entryLabel(name)} expands to ${uncompressedSize} bytes, over the ${limits.maxEntryBytes}-byte limit per entry`,
      { reason: 'expanded_size_limit', details: { ...details, limit: limits.maxEntryBytes } },
    );
  }
  if (uncompressedSize > RATIO_EXEMPT_BYTES && uncompressedSize > compressedSize * limits.maxRatio) {
    const ratio = compressedSize === 0 ? 'infinitely' : `${Math.round(uncompressedSize / compressedSize)} times`;
    throw new ValidationError(
      `${entryLabel(name)} expands ${ratio} (${compressedSize} → ${uncompressedSize} bytes; limit ${limits.maxRatio} times): a ZIP bomb`,
      { reason: 'zip_bomb', details: { ...details, limit: limits.maxRatio } },
    );
  }
}

/**
 * Judges one central-directory record on its own: no links, no encryption, stored or deflate only,
 * declared size and compression ratio within the limits. Throws the matching `CoreError`, naming the entry.
 */
export function checkEntryRecord(name: string, fields: EntryRecordFields, limits: ZipLimits): void {
  checkKind(name, fields);
  checkDeclaredSize(name, fields, limits);
}
