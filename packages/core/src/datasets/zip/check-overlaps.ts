import { ValidationError } from '../../errors.js';
import { entryLabel, quoteEntryName } from './zip-errors.js';

/** Where one central-directory record says its local header and data lie. */
export interface EntryPlacement {
  name: string;
  relativeOffsetOfLocalHeader: number;
  fileNameLength: number;
  compressedSize: number;
}

const LOCAL_HEADER_BYTES = 30;

/**
 * Throws ValidationError (reason 'overlapping_entries') when two records' `[local header, data end)` ranges
 * overlap or one runs into the central directory (Fifield's overlapping-file bomb); otherwise returns, per
 * record, the offset its data must end by (the next local header or the central directory).
 * @see https://www.bamsoftware.com/hacks/zipbomb/
 */
export function checkOverlaps<T extends EntryPlacement>(records: readonly T[], centralDirectoryOffset: number): Map<T, number> {
  const sorted = [...records].sort((a, b) => a.relativeOffsetOfLocalHeader - b.relativeOffsetOfLocalHeader);
  const dataEndLimit = new Map<T, number>();
  sorted.forEach((record, i) => {
    const next = sorted[i + 1];
    const limit = next ? next.relativeOffsetOfLocalHeader : centralDirectoryOffset;
    const end = record.relativeOffsetOfLocalHeader + LOCAL_HEADER_BYTES + record.fileNameLength + record.compressedSize;
    if (end > limit) {
      const what = next ? `the local header of ${quoteEntryName(next.name)}` : 'the central directory';
      throw new ValidationError(`${entryLabel(record.name)} overlaps ${what} (overlapping entries are a ZIP bomb technique)`, {
        reason: 'overlapping_entries',
        details: { entry: record.name, other: next?.name, offset: record.relativeOffsetOfLocalHeader, end, limit },
      });
    }
    dataEndLimit.set(record, limit);
  });
  return dataEndLimit;
}
