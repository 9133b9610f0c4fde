import { open, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parsePythonJson, trainerLogEntry, trainerStateRows, type StepProgress, type StepRow, type StepValues } from './step-rows.js';

/** What one read found: new or changed rows (one per step, values of all lines of that step merged) and the progress after them. */
export interface StepBatch {
  rows: StepRow[];
  progress?: StepProgress;
  source: 'trainer_log.jsonl' | 'trainer_state.json';
}

/** Options of {@link startStepTail}. */
export interface StepTailOptions {
  runDir: string;
  onSteps(batch: StepBatch): void;
  log(line: string): void;
  /** Poll period (default 500 ms). */
  pollMs?: number;
}

/** A running tail of a fine-tune run's step logs. */
export interface StepTail {
  /** Whether the run has step logs (a fine-tune run: trainer_log.jsonl or a trainer_state.json). */
  found(): boolean;
  /** Stops after one last read, so steps logged just before the trainer exited are not missed. */
  stop(): Promise<void>;
}

const LOG = 'trainer_log.jsonl';
const MAX_READ = 8 * 1024 * 1024;
const MAX_STATE_BYTES = 32 * 1024 * 1024;

interface State {
  options: StepTailOptions;
  found: boolean;
  /** Identity and read position (after the last complete line) of trainer_log.jsonl: a new inode or a shorter file is a new log. */
  file?: { ino: number; offset: number };
  merged: Map<number, StepValues>;
  /** What was last handed on per step, so an unchanged step is not handed on again. */
  sent: Map<number, string>;
  state?: { file: string; mtimeMs: number; size: number };
  warned: Set<string>;
}

const warnOnce = (s: State, line: string) => {
  if (!s.warned.has(line)) s.options.log(line);
  s.warned.add(line);
};

/** Hands on the rows whose values differ from what was sent for that step. */
function emit(s: State, rows: Iterable<StepRow>, progress: StepProgress | undefined, source: StepBatch['source']): void {
  const fresh = [...rows].filter((row) => s.sent.get(row.step) !== JSON.stringify(row.values));
  for (const row of fresh) s.sent.set(row.step, JSON.stringify(row.values));
  if (fresh.length > 0 || progress !== undefined) s.options.onSteps({ rows: fresh, ...(progress ? { progress } : {}), source });
}

/** The complete lines appended since `from` (at most 8 MB a read) and how many bytes they took. */
async function readAppended(file: string, from: number, size: number): Promise<{ text: string; consumed: number }> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(Math.min(size - from, MAX_READ));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, from);
    const end = buffer.subarray(0, bytesRead).lastIndexOf(0x0a) + 1;
    // A line longer than a whole read is no trainer log line: skip it rather than stall on it.
    if (end === 0 && bytesRead === MAX_READ) return { text: '', consumed: bytesRead };
    return { text: buffer.subarray(0, end).toString('utf8'), consumed: end };
  } finally {
    await handle.close();
  }
}

/** Reads what was appended to trainer_log.jsonl since the last read; false when there is no such file. */
async function tailLog(s: State): Promise<boolean> {
  const file = path.join(s.options.runDir, LOG);
  const info = await stat(file).catch(() => undefined);
  if (info === undefined) return false;
  s.found = true;
  if (s.file === undefined || s.file.ino !== info.ino || info.size < s.file.offset) {
    // Recreated (a resumed LLaMA-Factory run deletes and rewrites it) or truncated: read again from the start.
    s.file = { ino: info.ino, offset: 0 };
    s.merged.clear();
  }
  if (info.size === s.file.offset) return true;
  const { text, consumed } = await readAppended(file, s.file.offset, info.size);
  s.file.offset += consumed;
  const lines = text.split('\n');
  const changed = new Set<number>();
  let progress: StepProgress | undefined;
  for (const line of lines) {
    if (line.trim() === '') continue;
    let entry;
    try {
      entry = trainerLogEntry(parsePythonJson(line));
    } catch {
      warnOnce(s, `yoloops-agent: skipping an unreadable line of ${file}: ${line.slice(0, 80)}`);
      continue;
    }
    if (entry.row) {
      s.merged.set(entry.row.step, { ...s.merged.get(entry.row.step), ...entry.row.values });
      changed.add(entry.row.step);
    }
    progress = entry.progress ?? progress;
  }
  emit(s, [...changed].map((step) => ({ step, values: s.merged.get(step) ?? {} })), progress, 'trainer_log.jsonl');
  return true;
}

/** The newest trainer_state.json of the run (its top level, or a checkpoint-N folder). */
async function newestState(runDir: string): Promise<{ file: string; mtimeMs: number; size: number } | undefined> {
  const names = await readdir(runDir).catch((): string[] => []);
  const candidates = ['.', ...names.filter((name) => /^checkpoint-\d+$/.test(name))].map((dir) => path.join(runDir, dir, 'trainer_state.json'));
  let best: { file: string; mtimeMs: number; size: number } | undefined;
  for (const file of candidates) {
    const info = await stat(file).catch(() => undefined);
    if (info?.isFile() && (best === undefined || info.mtimeMs > best.mtimeMs)) best = { file, mtimeMs: info.mtimeMs, size: info.size };
  }
  return best;
}

/** HF Trainer / axolotl: the newest trainer_state.json, read again whenever it changed. */
async function readState(s: State): Promise<void> {
  const found = await newestState(s.options.runDir);
  if (found === undefined) return;
  s.found = true;
  if (s.state && s.state.file === found.file && s.state.mtimeMs === found.mtimeMs && s.state.size === found.size) return;
  if (found.size > MAX_STATE_BYTES) return warnOnce(s, `yoloops-agent: ${found.file} is larger than ${MAX_STATE_BYTES} bytes; not reading it`);
  let parsed: unknown;
  try {
    parsed = parsePythonJson(await readFile(found.file, 'utf8'));
  } catch {
    return; // being written; the next poll reads it whole
  }
  s.state = found;
  const { rows, progress } = trainerStateRows(parsed);
  emit(s, rows, progress, 'trainer_state.json');
}

/**
 * Follows a fine-tune run's steps: `<runDir>/trainer_log.jsonl` (LLaMA-Factory; complete lines only,
 * read from where the last read stopped, and from the start again when the file shrinks or is a new
 * inode), otherwise the newest `trainer_state.json` `log_history` (HF Trainer, axolotl). Lines of one
 * step (a train line and an eval line) are merged; a step is handed on again only when its values changed.
 */
export function startStepTail(options: StepTailOptions): StepTail {
  const s: State = { options, found: false, merged: new Map(), sent: new Map(), warned: new Set() };
  let chain: Promise<void> = Promise.resolve();
  const tick = () => {
    chain = chain.then(async () => {
      if (!(await tailLog(s))) await readState(s);
    }).catch((error: unknown) => warnOnce(s, `yoloops-agent: step log tail error: ${String(error)}`));
    return chain;
  };
  const timer = setInterval(() => void tick(), options.pollMs ?? 500).unref();
  void tick();
  return {
    found: () => s.found,
    async stop() {
      clearInterval(timer);
      await tick();
    },
  };
}
