import { ValidationError } from '../../errors.js';

/** Stable `reason` codes of every rejection the ZIP reader throws. */
export type ZipRejectionReason =
  | 'invalid_zip'
  | 'unsafe_path'
  | 'link_entry'
  | 'duplicate_entry'
  | 'too_many_entries'
  | 'expanded_size_limit'
  | 'zip_bomb'
  | 'overlapping_entries'
  | 'size_mismatch'
  | 'crc_mismatch'
  | 'encrypted_entry'
  | 'unsupported_compression'
  | 'entry_too_large'
  | 'not_a_file'
  | 'unknown_entry'
  | 'invalid_zip_limits'
  | 'zip_closed';

const SHOWN_NAME_CHARS = 200;

/**
 * Quotes an entry name for an error message: control characters become `\uXXXX` escapes and very long
 * names are cut, but everything else (backslashes, dots, fullwidth characters) is shown as it is.
 */
export function quoteEntryName(name: string): string {
  // eslint-disable-next-line no-control-regex
  const escaped = name.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const shown = escaped.length > SHOWN_NAME_CHARS ? `${escaped.slice(0, SHOWN_NAME_CHARS)}…` : escaped;
  return `"${shown}"`;
}

/** Message prefix naming one entry, e.g. `ZIP entry "../x"`. */
export const entryLabel = (name: string): string => `ZIP entry ${quoteEntryName(name)}`;

/** The archive itself cannot be read (not a ZIP, truncated, multi-disk, corrupt central directory). */
export function invalidZip(problem: string, cause?: unknown): ValidationError {
  return new ValidationError(`The file is not a readable ZIP archive: ${problem}`, { reason: 'invalid_zip', cause });
}

/** One entry is malformed in a way that makes the archive unreadable. */
export function invalidEntry(name: string, problem: string, cause?: unknown): ValidationError {
  return new ValidationError(`${entryLabel(name)} cannot be read: ${problem}`, {
    reason: 'invalid_zip',
    details: { entry: name },
    cause,
  });
}

/** Message text of an unknown thrown value. */
export const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));
