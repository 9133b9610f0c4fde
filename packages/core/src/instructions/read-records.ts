import { StringDecoder } from 'node:string_decoder';
import { TokenParser, Tokenizer, TokenType } from '@streamparser/json';
import { CsvError, parse as parseCsv } from 'csv-parse';
import { TooLargeError, ValidationError } from '../errors.js';
import type { InstructionFileFormat } from './instruction.schema.js';
import type { RecordProblem } from './record-problem.js';

/** One record as read from the file: a parsed value, or the problem that kept it from parsing. */
export interface RawRecord {
  /** 0-based position among the file's records (array element, non-empty line, data row). */
  index: number;
  /** 1-based line (JSON Lines; CSV, where the header is line 1). */
  line?: number;
  value?: unknown;
  problem?: RecordProblem;
}

export interface ReadRecordsOptions {
  /** Largest record (a JSON Lines line, an array element, a CSV row) in bytes. */
  maxRecordBytes: number;
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const shorten = (text: string) => (text.length > 200 ? `${text.slice(0, 200)}…` : text);
const tooLarge = (what: string, max: number) =>
  new TooLargeError(`${what} is larger than the ${max} byte limit for one record`, { reason: 'record_too_large', details: { maxRecordBytes: max } });

/** Deepest nesting a record may have (real records need 4); deeper JSON could turn a few MB into millions of objects. */
const MAX_DEPTH = 64;
/** Lines shorter than this cannot amplify into much memory, so only longer ones have their depth scanned. */
const DEPTH_SCAN_CHARS = 64 * 1024;

/** Whether JSON text nests brackets deeper than `MAX_DEPTH` (brackets inside strings do not count). */
function nestsTooDeep(text: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i += 1;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_DEPTH) return true;
    } else if (c === 0x5d || c === 0x7d) depth -= 1;
  }
  return false;
}

/** Drops a UTF-8 byte order mark at the very start of the stream (even when it arrives split over chunks). */
async function* withoutBom(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let head: Buffer | undefined = Buffer.alloc(0);
  for await (const chunk of source) {
    if (head === undefined) {
      yield chunk;
      continue;
    }
    head = Buffer.concat([head, chunk]);
    if (head.length < BOM.length && BOM.subarray(0, head.length).equals(head)) continue;
    const first: Buffer = head.subarray(0, BOM.length).equals(BOM) ? head.subarray(BOM.length) : head;
    head = undefined;
    if (first.length > 0) yield first;
  }
  if (head !== undefined && head.length > 0 && !BOM.subarray(0, head.length).equals(head)) yield head;
}

/** JSON Lines: one record per non-empty line; a line that is not JSON is a `bad_json` problem, and reading goes on. */
async function* readJsonLines(source: AsyncIterable<Buffer>, o: ReadRecordsOptions): AsyncGenerator<RawRecord[]> {
  const decoder = new StringDecoder('utf8');
  let [index, line, pending, oversized] = [0, 0, '', false];
  /** Characters never exceed bytes in UTF-8, so only a long text needs its bytes counted. */
  const tooLong = (text: string) => text.length > o.maxRecordBytes || (text.length * 3 > o.maxRecordBytes && Buffer.byteLength(text) > o.maxRecordBytes);
  const take = (text: string, batch: RawRecord[]) => {
    line += 1;
    if (oversized || tooLong(text)) {
      batch.push({ index: index++, line, problem: { code: 'bad_json', message: `line ${line} is longer than the ${o.maxRecordBytes} byte limit for one record` } });
      oversized = false;
      return;
    }
    const trimmed = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (trimmed.trim() === '') return;
    try {
      if (trimmed.length > DEPTH_SCAN_CHARS && nestsTooDeep(trimmed)) throw new Error(`it nests deeper than ${MAX_DEPTH} levels`);
      batch.push({ index, line, value: JSON.parse(trimmed) });
    } catch (error) {
      batch.push({ index, line, problem: { code: 'bad_json', message: `line ${line} is not valid JSON: ${shorten((error as Error).message)}` } });
    }
    index += 1;
  };
  for await (const chunk of withoutBom(source)) {
    const text = decoder.write(chunk);
    const batch: RawRecord[] = [];
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      take(start === 0 && pending !== '' ? pending + text.slice(0, nl) : text.slice(start, nl), batch);
      if (start === 0) pending = '';
      start = nl + 1;
    }
    if (start === 0) pending += text;
    else pending = text.slice(start);
    // A line still growing past the cap is dropped as it comes, so memory stays bounded.
    if (tooLong(pending)) [pending, oversized] = ['', true];
    if (batch.length > 0) yield batch;
  }
  const rest = pending + decoder.end();
  const batch: RawRecord[] = [];
  if (rest !== '' || oversized) take(rest, batch);
  if (batch.length > 0) yield batch;
}

const badJson = (message: string, cause?: unknown) => new ValidationError(`invalid JSON: ${shorten(message)}`, { reason: 'bad_json', cause });

/** A JSON array of records, parsed element by element (`@streamparser/json`); a syntax error ends the read. */
async function* readJsonArray(source: AsyncIterable<Buffer>, o: ReadRecordsOptions): AsyncGenerator<RawRecord[]> {
  const tokenizer = new Tokenizer();
  const parser = new TokenParser({ paths: ['$.*'], keepStack: false });
  let batch: RawRecord[] = [];
  let sawToken = false;
  let sinceRecord = 0;
  let nextIndex = 0;
  let depth = 0;
  tokenizer.onToken = (token) => {
    if (!sawToken) {
      sawToken = true;
      if (token.token === TokenType.LEFT_BRACE) {
        throw new ValidationError('expected a JSON array of records at the top level, found an object (for one record per line use format jsonl or a .jsonl file name)', { reason: 'not_an_array' });
      }
      if (token.token !== TokenType.LEFT_BRACKET) throw new ValidationError(`expected a JSON array of records at the top level, found ${JSON.stringify(token.value)}`, { reason: 'not_an_array' });
    }
    if (token.token === TokenType.LEFT_BRACE || token.token === TokenType.LEFT_BRACKET) depth += 1;
    else if (token.token === TokenType.RIGHT_BRACE || token.token === TokenType.RIGHT_BRACKET) depth -= 1;
    if (depth > MAX_DEPTH + 1) throw new ValidationError(`array element ${nextIndex} nests deeper than ${MAX_DEPTH} levels`, { reason: 'too_deep' });
    parser.write(token);
  };
  parser.onValue = ({ value, key }) => {
    batch.push({ index: key as number, value });
    nextIndex = (key as number) + 1;
    sinceRecord = 0;
  };
  for await (const chunk of withoutBom(source)) {
    sinceRecord += chunk.length;
    try {
      tokenizer.write(chunk);
    } catch (error) {
      throw error instanceof ValidationError ? error : badJson((error as Error).message, error);
    }
    if (sinceRecord > o.maxRecordBytes) throw tooLarge(`array element ${nextIndex}`, o.maxRecordBytes);
    if (batch.length > 0) {
      const out = batch;
      batch = [];
      yield out;
    }
  }
  try {
    tokenizer.end();
  } catch (error) {
    throw badJson((error as Error).message, error);
  }
  if (!sawToken) throw new ValidationError('the file holds no JSON (it is empty or only whitespace)', { reason: 'empty_file' });
  if (!parser.isEnded) throw badJson('the file ends before the top-level array is closed (truncated upload?)');
  if (batch.length > 0) yield batch;
}

const isCsvError = (error: unknown): error is CsvError => error instanceof CsvError;
const csvLine = (error: unknown) => (error as { lines?: unknown }).lines as number | undefined;
const ALPACA_OUTPUT_COLUMNS = ['output', 'response'];

function checkCsvHeader(header: string[]): string[] {
  if (!header.includes('instruction') || !header.some((name) => ALPACA_OUTPUT_COLUMNS.includes(name))) {
    const found = header.slice(0, 12).map((name) => JSON.stringify(shorten(name))).join(', ');
    throw new ValidationError(`the CSV header must name an instruction column and an output (or response) column; found ${found}`, { reason: 'bad_csv_header' });
  }
  return header;
}

/** Feeds one chunk and waits until csv-parse has handled it (records arrive through `on_record`, in order with skipped rows). */
const feed = (parser: ReturnType<typeof parseCsv>, chunk: Buffer) =>
  new Promise<void>((resolve, reject) => parser.write(chunk, (error) => (error ? reject(error) : resolve())));

function csvFailure(error: unknown, o: ReadRecordsOptions): unknown {
  if (isCsvError(error) && error.code === 'CSV_MAX_RECORD_SIZE') return tooLarge(`the CSV row ending on line ${csvLine(error) ?? '?'}`, o.maxRecordBytes);
  if (isCsvError(error)) return new ValidationError(`invalid CSV: ${shorten(error.message)}`, { reason: 'bad_csv', cause: error });
  return error;
}

/** CSV with a header row (`csv-parse`); a malformed row is a `bad_csv_row` problem (line = where it ends), and reading goes on. */
async function* readCsv(source: AsyncIterable<Buffer>, o: ReadRecordsOptions): AsyncGenerator<RawRecord[]> {
  let batch: RawRecord[] = [];
  let index = 0;
  let failure: unknown;
  const parser = parseCsv({
    bom: true, columns: checkCsvHeader, skip_empty_lines: true, skip_records_with_error: true, max_record_size: o.maxRecordBytes,
    on_record: (record: Record<string, string>, context) => {
      batch.push({ index: index++, line: context.lines, value: record });
      return null;
    },
  });
  parser.on('skip', (error: CsvError) => {
    if (error.code === 'CSV_MAX_RECORD_SIZE') failure ??= error;
    const line = csvLine(error);
    batch.push({ index: index++, ...(line === undefined ? {} : { line }), problem: { code: 'bad_csv_row', message: shorten(error.message) } });
  });
  parser.on('error', (error) => (failure ??= error));
  parser.resume();
  const take = () => {
    if (failure !== undefined) throw csvFailure(failure, o);
    const out = batch;
    batch = [];
    return out;
  };
  for await (const chunk of source) {
    await feed(parser, chunk).catch((error: unknown) => (failure ??= error));
    const out = take();
    if (out.length > 0) yield out;
  }
  await new Promise<void>((resolve) => parser.end(resolve));
  const out = take();
  if (out.length > 0) yield out;
}

/**
 * Streams the records of an uploaded file in batches, never holding more than one record (plus a
 * chunk) in memory. Fatal problems (not JSON at all, top level not an array, a record over the cap)
 * throw `ValidationError` / `TooLargeError`; per-record problems come back as `RawRecord.problem`.
 */
export function readRecords(source: AsyncIterable<Buffer>, format: InstructionFileFormat, options: ReadRecordsOptions): AsyncGenerator<RawRecord[]> {
  if (format === 'jsonl') return readJsonLines(source, options);
  if (format === 'csv') return readCsv(source, options);
  return readJsonArray(source, options);
}
