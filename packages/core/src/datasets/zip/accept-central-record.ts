import { TooLargeError, ValidationError } from '../../errors.js';
import { checkEntryName } from './check-entry-name.js';
import { createUniqueNameCheck } from './check-entry-names-unique.js';
import { checkEntryRecord } from './check-entry-record.js';
import type { EntryPlacement } from './check-overlaps.js';
import type { ZipEntryInfo } from './open-safe-zip.js';
import type { RawEntry } from './yauzl-internals.js';
import { decodeEntryName } from './yauzl-internals.js';
import { entryLabel, quoteEntryName } from './zip-errors.js';
import { RATIO_EXEMPT_BYTES, type ZipLimits } from './zip-limits.js';

/** One accepted central-directory record. */
export interface CentralRecord extends EntryPlacement {
  info: ZipEntryInfo;
  entry: RawEntry;
  /** Operating-system clutter (`__MACOSX/`, `.DS_Store`, `Thumbs.db`), validated but never offered. */
  skipped: boolean;
}

const JUNK_FILES = new Set(['.ds_store', 'thumbs.db']);

/** Whether an entry is operating-system clutter rather than dataset content. */
export function isJunkEntry(name: string): boolean {
  if (name.startsWith('__MACOSX/')) return true;
  return !name.endsWith('/') && JUNK_FILES.has(name.slice(name.lastIndexOf('/') + 1).toLowerCase());
}

/**
 * Returns a function that validates each central-directory record in turn (name, kind, sizes, running
 * declared total, uniqueness of the names kept) and turns it into a `CentralRecord`.
 */
export function createRecordAcceptor(limits: ZipLimits): (entry: RawEntry) => CentralRecord {
  const checkUnique = createUniqueNameCheck();
  let declaredTotal = 0;
  return (entry) => {
    const name = decodeEntryName(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields);
    checkEntryName(name, limits);
    checkEntryRecord(name, entry, limits);
    declaredTotal += entry.uncompressedSize;
    if (declaredTotal > limits.maxTotalBytes) {
      throw new TooLargeError(`${entryLabel(name)} takes the archive past its ${limits.maxTotalBytes}-byte expanded limit`, {
        reason: 'expanded_size_limit',
        details: { entry: name, declaredTotal, limit: limits.maxTotalBytes },
      });
    }
    const isDirectory = name.endsWith('/');
    const skipped = isJunkEntry(name);
    if (!skipped) checkUnique(name, isDirectory);
    const { compressedSize, uncompressedSize, relativeOffsetOfLocalHeader, fileNameLength } = entry;
    return {
      name, entry, skipped, relativeOffsetOfLocalHeader, fileNameLength, compressedSize,
      info: Object.freeze({ name, isDirectory, compressedSize, uncompressedSize }),
    };
  };
}

/** Throws ValidationError (reason 'zip_bomb') when the archive as a whole expands more than `maxRatio` times. */
export function checkArchiveRatio(records: readonly CentralRecord[], limits: Pick<ZipLimits, 'maxRatio'>): void {
  let expanded = 0;
  let compressed = 0;
  let largest: CentralRecord | undefined;
  for (const record of records) {
    expanded += record.info.uncompressedSize;
    compressed += record.compressedSize;
    if (!largest || record.info.uncompressedSize > largest.info.uncompressedSize) largest = record;
  }
  if (!largest || expanded <= RATIO_EXEMPT_BYTES || expanded <= compressed * limits.maxRatio) return;
  throw new ValidationError(
    `ZIP archive expands ${Math.round(expanded / Math.max(compressed, 1))} times (limit ${limits.maxRatio}); ` +
      `its largest entry is ${quoteEntryName(largest.name)}: a ZIP bomb`,
    { reason: 'zip_bomb', details: { entry: largest.name, expanded, compressed, limit: limits.maxRatio } },
  );
}
