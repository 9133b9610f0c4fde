import { type CoreError, UnsupportedError, ValidationError, isCoreError } from '../../errors.js';
import { type CentralRecord, checkArchiveRatio, createRecordAcceptor } from './accept-central-record.js';
import type { BlobRandomAccessReader } from './blob-random-access-reader.js';
import { checkOverlaps } from './check-overlaps.js';
import { decodeEntryName, openRawZipFile, type RawEntry, type RawZipFile } from './yauzl-internals.js';
import { entryLabel, errorText, invalidZip } from './zip-errors.js';
import type { ZipLimits } from './zip-limits.js';

/** A fully validated central directory, still open for reading entry data. */
export interface CentralDirectory {
  zipfile: RawZipFile;
  /** Every record in central-directory order, skipped ones included. */
  records: CentralRecord[];
  /** Per record, the offset its data must end by. */
  dataEndLimit: Map<CentralRecord, number>;
}

const READ_AHEAD_BYTES = 1024 * 1024;
const CENTRAL_HEADER_SIGNATURE = 0x02014b50;
const YAUZL_NAME_ERROR = /^(?:invalid characters in fileName|absolute path|invalid relative path): (.*)$/s;

function tooManyEntries(count: number, limits: ZipLimits): ValidationError {
  return new ValidationError(`ZIP archive has more than ${limits.maxEntries} entries (it declares ${count})`, {
    reason: 'too_many_entries',
    details: { declared: count, limit: limits.maxEntries },
  });
}

/** Names the record yauzl refused at `offset`, when it is readable. */
async function nameOfRecordAt(reader: BlobRandomAccessReader, offset: number): Promise<string> {
  const header = await reader.readBytes(offset, offset + 46);
  const nameStart = offset + 46;
  const raw = await reader.readBytes(nameStart, nameStart + header.readUInt16LE(28));
  return decodeEntryName(header.readUInt16LE(8), raw);
}

/** Turns a yauzl error met while scanning into our error, naming the entry where yauzl allows it. */
async function describeScanError(error: unknown, zipfile: RawZipFile, reader: BlobRandomAccessReader): Promise<CoreError> {
  if (isCoreError(error)) return error;
  const text = errorText(error);
  const badName = YAUZL_NAME_ERROR.exec(text);
  if (badName) {
    const name = badName[1] ?? '';
    return new ValidationError(`${entryLabel(name)} is not a safe relative path`, { reason: 'unsafe_path', details: { entry: name }, cause: error });
  }
  if (text.includes('strong encryption')) {
    const name = await nameOfRecordAt(reader, zipfile.readEntryCursor).catch(() => '?');
    return new UnsupportedError(`${entryLabel(name)} uses strong encryption; upload a ZIP without a password`, {
      reason: 'encrypted_entry',
      details: { entry: name },
      cause: error,
    });
  }
  return invalidZip(text, error);
}

function scanRecords(zipfile: RawZipFile, reader: BlobRandomAccessReader, limits: ZipLimits): Promise<CentralRecord[]> {
  const records: CentralRecord[] = [];
  const accept = createRecordAcceptor(limits);
  return new Promise((resolve, reject) => {
    const stop = (error?: unknown): void => {
      zipfile.removeListener('entry', onEntry).removeListener('end', onEnd).removeListener('error', onError);
      if (error === undefined) resolve(records);
      else describeScanError(error, zipfile, reader).then(reject, reject);
    };
    const onEntry = (entry: RawEntry): void => {
      if (records.length >= limits.maxEntries) return stop(tooManyEntries(zipfile.entryCount, limits));
      try {
        records.push(accept(entry));
      } catch (error) {
        return stop(error);
      }
      zipfile.readEntry();
    };
    const onEnd = (): void => stop();
    const onError = (error: Error): void => stop(error);
    zipfile.on('entry', onEntry).on('end', onEnd).on('error', onError);
    zipfile.readEntry();
  });
}

/** Refuses records hidden after the count the end record declares (a way to smuggle entries past the cap). */
async function checkNoHiddenRecords(zipfile: RawZipFile, reader: BlobRandomAccessReader): Promise<void> {
  const cursor = zipfile.readEntryCursor;
  const next = await reader.readBytes(cursor, cursor + 4);
  if (next.length === 4 && next.readUInt32LE(0) === CENTRAL_HEADER_SIGNATURE) {
    throw invalidZip(`its end record declares ${zipfile.entryCount} entries, but the central directory holds more`);
  }
}

/**
 * Opens the ZIP behind `reader` and validates its whole central directory (count, names, kinds, sizes,
 * ratios, duplicates, overlaps) before any entry is offered; throws the first problem found.
 */
export async function readCentralDirectory(reader: BlobRandomAccessReader, size: number, limits: ZipLimits): Promise<CentralDirectory> {
  let zipfile: RawZipFile;
  try {
    zipfile = await openRawZipFile(reader, size);
  } catch (error) {
    throw invalidZip(errorText(error), error);
  }
  zipfile.on('error', () => {}); // every later yauzl error is also reported through a callback or stream
  try {
    if (zipfile.entryCount > limits.maxEntries) throw tooManyEntries(zipfile.entryCount, limits);
    const centralDirectoryOffset = zipfile.readEntryCursor;
    reader.readAhead = READ_AHEAD_BYTES;
    const records = await scanRecords(zipfile, reader, limits);
    await checkNoHiddenRecords(zipfile, reader);
    const dataEndLimit = checkOverlaps(records, centralDirectoryOffset);
    checkArchiveRatio(records, limits);
    return { zipfile, records, dataEndLimit };
  } catch (error) {
    zipfile.close();
    throw error;
  } finally {
    reader.readAhead = 0;
  }
}
