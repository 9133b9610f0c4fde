import { ValidationError } from '../../errors.js';
import type { RangeReader } from './range-reader.js';

const CHUNK = 256 * 1024;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Little-endian reads over a {@link RangeReader}, buffered in chunks: `need(n)` makes `n` bytes
 * available (or throws naming what was being read), then the sync readers consume them.
 */
export class GgufCursor {
  pos = 0;
  private buf: Uint8Array = new Uint8Array(0);
  private view: DataView = new DataView(this.buf.buffer);
  private bufStart = 0;

  constructor(
    private readonly reader: RangeReader,
    private readonly label: string,
  ) {}

  get size(): number {
    return this.reader.size;
  }

  /** A ValidationError prefixed with the file's label. */
  fail(message: string, reason = 'invalid_gguf', details: Record<string, unknown> = {}): ValidationError {
    return new ValidationError(`${this.label}: ${message}`, { reason, details });
  }

  /** Makes `n` bytes from `pos` readable; `what` names the field in the truncation message. */
  async need(n: number, what: string): Promise<void> {
    if (this.pos + n > this.reader.size) {
      throw this.fail(`GGUF file is truncated: ${what} at byte ${this.pos} needs ${n} bytes, but the file ends at byte ${this.reader.size}`, 'gguf_truncated');
    }
    if (this.pos >= this.bufStart && this.pos + n <= this.bufStart + this.buf.byteLength) return;
    const bytes = await this.reader.read(this.pos, Math.max(n, CHUNK));
    if (bytes.byteLength < n) throw this.fail(`reading ${what} at byte ${this.pos} returned ${bytes.byteLength} of ${n} bytes`, 'gguf_truncated');
    this.buf = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.bufStart = this.pos;
  }

  private at(n: number): number {
    const offset = this.pos - this.bufStart;
    this.pos += n;
    return offset;
  }

  u8 = () => this.view.getUint8(this.at(1));
  i8 = () => this.view.getInt8(this.at(1));
  u16 = () => this.view.getUint16(this.at(2), true);
  i16 = () => this.view.getInt16(this.at(2), true);
  u32 = () => this.view.getUint32(this.at(4), true);
  i32 = () => this.view.getInt32(this.at(4), true);
  f32 = () => this.view.getFloat32(this.at(4), true);
  f64 = () => this.view.getFloat64(this.at(8), true);
  u64 = () => this.view.getBigUint64(this.at(8), true);
  i64 = () => this.view.getBigInt64(this.at(8), true);

  /** A uint64 that must fit a JS number (counts, lengths, offsets). */
  async safeU64(what: string): Promise<number> {
    await this.need(8, what);
    const value = this.u64();
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw this.fail(`${what} is ${value}, far more than any file holds`);
    return Number(value);
  }

  /** A `gguf_string` (uint64 length + UTF-8 bytes) of at most `max` bytes. */
  async string(what: string, max: number): Promise<string> {
    const length = await this.safeU64(`the length of ${what}`);
    if (length > max) throw this.fail(`${what} is ${length} bytes long; at most ${max} are accepted`, 'gguf_too_large');
    await this.need(length, what);
    const start = this.at(length);
    try {
      return utf8.decode(this.buf.subarray(start, start + length));
    } catch {
      throw this.fail(`${what} at byte ${this.pos - length} is not valid UTF-8`);
    }
  }

  /** Moves past `n` bytes without reading them (they must be inside the file). */
  async skip(n: number, what: string): Promise<void> {
    if (this.pos + n > this.reader.size) await this.need(n, what);
    this.pos += n;
  }
}
