import { watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { parseResultsCsv, type ResultsCsvRow } from '@yoloops/core';
import { findResultsCsv, type FindResultsOptions } from './find-results-csv.js';

/** Options of {@link startResultsTail}: where to look, and who gets the rows. */
export interface ResultsTailOptions extends FindResultsOptions {
  /** Receives rows not seen before by this tail, in file order. */
  onRows(rows: ResultsCsvRow[], file: string): void;
  log(line: string): void;
  /** Poll period (default 500 ms); fs.watch events trigger extra reads in between. */
  pollMs?: number;
}

/** A running tail of the run's `results.csv`. */
export interface ResultsTail {
  /** The file being tailed, once found. */
  file(): string | undefined;
  /** Stops polling after one last read, so rows written just before the trainer exited are not missed. */
  stop(): Promise<void>;
}

const MAX_BYTES = 32 * 1024 * 1024;

interface TailState {
  options: ResultsTailOptions;
  file?: string;
  watcher?: FSWatcher;
  /** Rows already handed on. */
  consumed: number;
  seen: { size: number; mtimeMs: number };
  warned: Set<string>;
}

function warnOnce(state: TailState, line: string): void {
  if (!state.warned.has(line)) state.options.log(line);
  state.warned.add(line);
}

async function readRows(state: TailState, target: string): Promise<void> {
  const info = await stat(target).catch(() => undefined);
  if (!info || (info.size === state.seen.size && info.mtimeMs === state.seen.mtimeMs)) return;
  if (info.size < state.seen.size) state.consumed = 0;
  state.seen = { size: info.size, mtimeMs: info.mtimeMs };
  if (info.size > MAX_BYTES) return warnOnce(state, `yoloops-agent: ${target} is larger than ${MAX_BYTES} bytes; not reading it`);
  const text = await readFile(target, 'utf8').catch(() => undefined);
  if (text === undefined) return;
  let rows: ResultsCsvRow[];
  try {
    rows = parseResultsCsv(text).rows;
  } catch (error) {
    return warnOnce(state, `yoloops-agent: cannot read ${target}: ${(error as Error).message}`);
  }
  if (rows.length < state.consumed) state.consumed = 0;
  const fresh = rows.slice(state.consumed);
  state.consumed = rows.length;
  if (fresh.length > 0) state.options.onRows(fresh, target);
}

async function tick(state: TailState, onChange: () => void): Promise<void> {
  if (state.file === undefined) {
    state.file = await findResultsCsv(state.options);
    if (state.file !== undefined) state.watcher = watchQuietly(state.file, onChange);
  }
  if (state.file !== undefined) await readRows(state, state.file);
}

/** Runs `task` one call at a time; calls made while one is queued share it. */
function serial(task: () => Promise<void>, onError: (error: unknown) => void): () => Promise<void> {
  let chain: Promise<void> = Promise.resolve();
  let queued = false;
  return () => {
    if (queued) return chain;
    queued = true;
    chain = chain
      .then(() => {
        queued = false;
        return task();
      })
      .catch(onError);
    return chain;
  };
}

/**
 * Finds and tails `results.csv`: polls (and listens to fs.watch), re-parses the file when its size or
 * mtime changed, and hands on the rows past the last one already handed on. Only complete lines count
 * (a row being written waits for its newline); a file that shrinks or loses rows was rewritten and is
 * read again from its first row (the outbox drops events it already holds).
 */
export function startResultsTail(options: ResultsTailOptions): ResultsTail {
  const state: TailState = { options, consumed: 0, seen: { size: -1, mtimeMs: -1 }, warned: new Set() };
  const schedule: () => Promise<void> = serial(
    () => tick(state, () => void schedule()),
    (error) => warnOnce(state, `yoloops-agent: results.csv tail error: ${String(error)}`),
  );
  const timer = setInterval(() => void schedule(), options.pollMs ?? 500).unref();
  void schedule();
  return {
    file: () => state.file,
    async stop() {
      clearInterval(timer);
      state.watcher?.close();
      await schedule();
    },
  };
}

function watchQuietly(file: string, onChange: () => void): FSWatcher | undefined {
  try {
    const watcher = watch(file, { persistent: false }, onChange);
    watcher.on('error', () => watcher.close());
    return watcher;
  } catch {
    return undefined;
  }
}
