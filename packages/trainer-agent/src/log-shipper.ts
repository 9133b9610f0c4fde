import { StringDecoder } from 'node:string_decoder';
import { MAX_LOG_BATCH } from './events.js';

/** Collects a trainer's output into ordered line batches for the server's job log. */
export interface LogShipper {
  /** Feeds bytes the trainer wrote to `stream` (each stream keeps its own unfinished line). */
  push(stream: 'stdout' | 'stderr', chunk: Buffer | string): void;
  /** Sends the unfinished lines and what is batched, then stops the timer; resolves once journaled. */
  close(): Promise<void>;
}

/** Options of {@link createLogShipper}. */
export interface LogShipperOptions {
  /** Journals one batch (the agent's `reportLogLines`). */
  send(lines: string[]): Promise<void>;
  /** How long a line may wait for its batch to fill (default 1000 ms). */
  flushMs?: number;
  /** Longest line kept, in characters (default 16384; longer ones are cut). */
  maxLineChars?: number;
}

interface StreamState {
  /** Keeps a UTF-8 character split between two chunks whole. */
  decoder: StringDecoder;
  partial: string;
  /** Index in `lines` of this stream's line that a `\r` redraw may still replace (progress bars). */
  redraw: number | undefined;
}

/**
 * Line batches of ≤ 500 lines / 256 KiB, in the order the output arrived, sent when full or `flushMs`
 * after the first waiting line. A `\r`-terminated segment (a progress bar redrawing itself) is kept
 * until the next redraw of the same stream replaces it, so a bar costs one line per batch, not one per
 * frame; `\r\n` and `\n` end a line for good.
 */
export function createLogShipper(options: LogShipperOptions): LogShipper {
  const flushMs = options.flushMs ?? 1000;
  const maxChars = options.maxLineChars ?? 16_384;
  const fresh = (): StreamState => ({ decoder: new StringDecoder('utf8'), partial: '', redraw: undefined });
  const streams: Record<'stdout' | 'stderr', StreamState> = { stdout: fresh(), stderr: fresh() };
  let lines: string[] = [];
  let bytes = 0;
  let timer: NodeJS.Timeout | undefined;
  let sending: Promise<void> = Promise.resolve();

  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    if (lines.length === 0) return;
    const batch = lines;
    lines = [];
    bytes = 0;
    for (const state of Object.values(streams)) state.redraw = undefined;
    sending = sending.then(() => options.send(batch)).catch(() => undefined);
  };
  const add = (state: StreamState, line: string, redraw: boolean) => {
    const text = line.slice(0, maxChars);
    if (state.redraw !== undefined) {
      bytes += Buffer.byteLength(text) - Buffer.byteLength(lines[state.redraw]!);
      lines[state.redraw] = text;
    } else {
      if (lines.length >= MAX_LOG_BATCH.lines || bytes + Buffer.byteLength(text) > MAX_LOG_BATCH.bytes) flush();
      lines.push(text);
      bytes += Buffer.byteLength(text);
    }
    state.redraw = redraw ? (state.redraw ?? lines.length - 1) : undefined;
    timer ??= setTimeout(flush, flushMs);
  };
  const split = (state: StreamState) => {
    for (let at = state.partial.search(/[\r\n]/); at >= 0; at = state.partial.search(/[\r\n]/)) {
      const crlf = state.partial[at] === '\r' && state.partial[at + 1] === '\n';
      // A lone `\r` at the end may be the first half of `\r\n`: wait for the next chunk.
      if (state.partial[at] === '\r' && at === state.partial.length - 1) return;
      const line = state.partial.slice(0, at);
      const redraw = state.partial[at] === '\r' && !crlf;
      state.partial = state.partial.slice(at + (crlf ? 2 : 1));
      if (line === '' && !redraw) state.redraw = undefined; // the bar's final newline
      else if (line !== '') add(state, line, redraw);
    }
    if (state.partial.length > maxChars) {
      add(state, state.partial, false);
      state.partial = '';
    }
  };
  return {
    push(stream, chunk) {
      const state = streams[stream];
      state.partial += typeof chunk === 'string' ? chunk : state.decoder.write(chunk);
      split(state);
    },
    async close() {
      for (const state of Object.values(streams)) {
        const rest = (state.partial + state.decoder.end()).replace(/\r$/, '');
        state.partial = '';
        if (rest !== '') add(state, rest, false);
      }
      flush();
      await sending;
    },
  };
}
