import type { BlobStore } from '../storage/blob-store.port.js';

/**
 * Reading training logs the way the origin's `/logs` routes do (s001 §5, §10): universal newlines
 * (`\n`, `\r\n` and a bare `\r` each end a line), each line right-trimmed with NUL and U+FFFD removed,
 * blank lines dropped, ANSI codes kept. Offsets are plain byte positions (always JS-safe integers) and
 * always sit at a line start, so a UTF-8 character is never split: `\n`/`\r` bytes never occur inside
 * a multi-byte sequence.
 */

/** Raw lines per `/logs/tail` call and per SSE read (the origin's cap). */
export const LOG_CHUNK_LINES = 50;
/** Most lines `/logs/lines` returns (n = 0 means all, up to this). */
export const LOG_LINES_CAP = 10_000;
/** Bytes read per chunk; a single line longer than this is cut at a character boundary. */
const WINDOW = 1 << 20;

const decoder = new TextDecoder('utf-8');

/** One cleaned log line: trailing whitespace stripped, NUL and U+FFFD removed ('' = blank, dropped). */
export function cleanLogLine(raw: string): string {
  // eslint-disable-next-line no-control-regex
  return raw.replace(/[\u0000\ufffd]/g, '').trimEnd();
}

interface RawLine {
  bytes: Buffer;
  /** Byte position just after the line's terminator. */
  next: number;
}

/** Splits `buf` (starting at file position `base`) into terminated raw lines; the rest is left. */
function splitTerminated(buf: Buffer, base: number, maxLines = Infinity): { lines: RawLine[]; consumed: number } {
  const lines: RawLine[] = [];
  let start = 0;
  for (let i = 0; i < buf.length && lines.length < maxLines; i++) {
    const byte = buf[i];
    if (byte !== 0x0a && byte !== 0x0d) continue;
    const end = byte === 0x0d && buf[i + 1] === 0x0a ? i + 1 : i;
    lines.push({ bytes: buf.subarray(start, i), next: base + end + 1 });
    start = end + 1;
    i = end;
  }
  return { lines, consumed: start };
}

/** Length of the longest prefix of `buf` that does not end inside a UTF-8 sequence. */
function utf8Boundary(buf: Buffer): number {
  let i = buf.length;
  let back = 0;
  while (i > 0 && back < 4 && (buf[i - 1]! & 0xc0) === 0x80) {
    i--;
    back++;
  }
  if (i === 0) return buf.length;
  const lead = buf[i - 1]!;
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return need === back + 1 || need === 1 ? buf.length : i - 1;
}

async function readRange(blobs: BlobStore, key: string, start: number, end: number): Promise<Buffer> {
  const reader = await blobs.open(key);
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of reader.createReadStream(start, Math.min(end, reader.size))) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  } finally {
    await reader.close();
  }
}

const toLines = (raw: readonly RawLine[]) => raw.map((l) => cleanLogLine(decoder.decode(l.bytes))).filter((l) => l.length > 0);

/** The result of one `readLogChunk`: cleaned non-blank lines and the offset of the next read. */
export interface LogChunk {
  lines: string[];
  offset: number;
  /** Size of the log when it was read (0 when missing). */
  size: number;
  /** Whether the log file exists. */
  exists: boolean;
}

/**
 * Reads at most `maxLines` raw lines from byte `offset`: only whole, terminated lines, unless `final`
 * (the job has ended), when an unterminated last line is returned too. A mid-line offset returns the
 * rest of that line. An invalid offset, or one at or past the end, returns no lines and the same offset.
 */
export async function readLogChunk(blobs: BlobStore, key: string, offset: number, options: { maxLines?: number; final?: boolean } = {}): Promise<LogChunk> {
  const stat = await blobs.stat(key);
  if (stat === undefined) return { lines: [], offset, size: 0, exists: false };
  const size = stat.size;
  if (!Number.isSafeInteger(offset) || offset < 0 || offset >= size) return { lines: [], offset, size, exists: true };
  const buf = await readRange(blobs, key, offset, offset + WINDOW);
  const { lines, consumed } = splitTerminated(buf, offset, options.maxLines ?? LOG_CHUNK_LINES);
  if (lines.length > 0) return { lines: toLines(lines), offset: lines.at(-1)!.next, size, exists: true };
  const atEnd = offset + buf.length >= size;
  if (atEnd && !options.final) return { lines: [], offset, size, exists: true };
  // No terminator: the last line of an ended log, or one line longer than the window.
  const cut = atEnd ? buf.length - consumed : utf8Boundary(buf);
  return { lines: toLines([{ bytes: buf.subarray(0, cut), next: offset + cut }]), offset: offset + cut, size, exists: true };
}

/** Streams the whole log through `onLine(raw bytes, start offset)` (the unterminated tail included). */
async function scanLog(blobs: BlobStore, key: string, size: number, onLine: (bytes: Buffer, start: number) => void): Promise<void> {
  let pos = 0;
  while (pos < size) {
    const buf = await readRange(blobs, key, pos, Math.min(size, pos + WINDOW));
    if (buf.length === 0) break;
    const { lines, consumed } = splitTerminated(buf, pos);
    let start = pos;
    for (const line of lines) {
      onLine(line.bytes, start);
      start = line.next;
    }
    if (lines.length === 0) {
      const cut = pos + buf.length >= size ? buf.length : utf8Boundary(buf);
      onLine(buf.subarray(0, cut), pos);
      pos += cut;
    } else {
      pos += consumed;
    }
  }
}

/**
 * The last `n` non-blank lines of the log (`n` = 0: all, capped at `LOG_LINES_CAP`), with `total`
 * non-blank lines in the file. Missing log → `exists: false`.
 */
export async function readLastLogLines(blobs: BlobStore, key: string, n: number): Promise<{ lines: string[]; total: number; exists: boolean }> {
  const stat = await blobs.stat(key);
  if (stat === undefined) return { lines: [], total: 0, exists: false };
  const keep = n <= 0 ? LOG_LINES_CAP : Math.min(n, LOG_LINES_CAP);
  const ring: string[] = [];
  let total = 0;
  await scanLog(blobs, key, stat.size, (bytes) => {
    const line = cleanLogLine(decoder.decode(bytes));
    if (line.length === 0) return;
    total++;
    ring.push(line);
    if (ring.length > keep * 2) ring.splice(0, ring.length - keep);
  });
  return { lines: ring.slice(-keep), total, exists: true };
}

/** Byte offset where the last `n` raw lines (blank ones counted) start; 0 when the log has ≤ n lines or is missing. */
export async function lastLinesOffset(blobs: BlobStore, key: string, n = LOG_CHUNK_LINES): Promise<number> {
  const stat = await blobs.stat(key);
  if (stat === undefined) return 0;
  const starts: number[] = [];
  await scanLog(blobs, key, stat.size, (_bytes, start) => {
    starts.push(start);
    if (starts.length > n * 2) starts.splice(0, starts.length - n);
  });
  return starts.length <= n ? 0 : starts[starts.length - n]!;
}
