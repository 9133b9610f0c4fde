import type { Readable } from 'node:stream';
import { meter } from '../datasets/upload-dataset.js';
import { ValidationError } from '../errors.js';
import type { BlobStore } from '../storage/blob-store.port.js';
import type { InstructionFileFormat, InstructionReport } from './instruction.schema.js';
import { readRecords } from './read-records.js';
import { createReportBuilder } from './scan-records.js';

/** Caps on instruction uploads; every one is configurable per server. */
export interface InstructionLimits {
  /** Largest accepted upload (default: the dataset ZIP cap, 20 GiB). */
  maxUploadBytes: number;
  /** Largest single record: a JSON Lines line, an array element or a CSV row (default 16 MiB). */
  maxRecordBytes: number;
  /** Issues listed in a report; the rest are counted (default 1000). */
  maxIssues: number;
}

const EXTENSIONS: Record<string, InstructionFileFormat> = { json: 'json', jsonl: 'jsonl', ndjson: 'jsonl', csv: 'csv' };

/**
 * The file format of an upload: the `format` field when given, else the file name's extension
 * (`.json`, `.jsonl`/`.ndjson`, `.csv`), else `json` as the seed 003 default.
 * @example resolveFileFormat(undefined, 'data.jsonl') // 'jsonl'
 */
export function resolveFileFormat(format: unknown, filename: string | undefined): InstructionFileFormat {
  if (format !== undefined && format !== null) {
    if (typeof format !== 'string') throw new ValidationError('format must be a string: json, jsonl or csv', { reason: 'invalid_format', details: { field: 'format' } });
    const wanted = format.toLowerCase();
    if (wanted !== 'json' && wanted !== 'jsonl' && wanted !== 'csv') {
      throw new ValidationError(`format must be json, jsonl or csv, got ${JSON.stringify(format.slice(0, 40))}`, { reason: 'invalid_format', details: { field: 'format' } });
    }
    return wanted;
  }
  const extension = /\.([A-Za-z0-9]+)$/.exec(filename ?? '')?.[1]?.toLowerCase();
  return extension !== undefined && Object.hasOwn(EXTENSIONS, extension) ? EXTENSIONS[extension]! : 'json';
}

/** Streams an upload to `key` under the byte cap (never whole in memory); returns its size and sha256. */
export async function storeInstructionUpload(blobs: BlobStore, key: string, body: Readable, maxBytes: number) {
  const m = meter(maxBytes, 'instruction dataset upload');
  body.on('error', (error) => m.stream.destroy(error));
  // The meter may fail before `blobs.write` reads it; the write throws that error, but an unheard 'error' event would kill the process.
  m.stream.on('error', () => {});
  try {
    await blobs.write(key, body.pipe(m.stream));
  } catch (error) {
    body.resume();
    throw error;
  }
  const stored = m.result();
  if (stored.size === 0) throw new ValidationError('the uploaded file is empty (0 bytes)', { reason: 'empty_file' });
  return stored;
}

/** Reads a stored upload back, record by record, into its validation report. */
export async function scanInstructionUpload(blobs: BlobStore, key: string, format: InstructionFileFormat, limits: InstructionLimits): Promise<InstructionReport> {
  const builder = createReportBuilder(limits.maxIssues);
  const body = await blobs.read(key);
  try {
    for await (const batch of readRecords(body as AsyncIterable<Buffer>, format, { maxRecordBytes: limits.maxRecordBytes })) {
      for (const raw of batch) builder.add(raw);
    }
  } finally {
    body.destroy();
  }
  return builder.finish();
}

/** The `ValidationError` of an upload with no record to keep, naming why with its first issues. */
export function noValidRecords(report: InstructionReport): ValidationError {
  const first = report.issues.slice(0, 5).map((issue) => issue.message);
  const why = report.records_total === 0 ? 'the file holds no records' : `none of its ${report.records_total} records is usable: ${first.join('; ')}`;
  return new ValidationError(`the uploaded dataset has no valid records (${why})`, {
    reason: 'no_valid_records',
    details: { records_total: report.records_total, issue_counts: report.issue_counts, issues: report.issues.slice(0, 20) },
  });
}
