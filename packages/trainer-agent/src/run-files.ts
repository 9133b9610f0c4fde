import { lstatSync, readdirSync } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { AgentHttp, SendOutcome } from './http.js';

/** Uploads of a fine-tune run's `checkpoint-N/` folders and final outputs, started by {@link startRunFileUploads}. */
export interface RunFileUploads {
  /**
   * Stops polling, waits for an upload in flight, uploads the newest complete checkpoint if the server does not
   * have it yet and, when `completed`, the run folder's top-level files. Never rejects: failures are logged.
   */
  finish(completed: boolean): Promise<void>;
}

/** Options of {@link startRunFileUploads}. */
export interface RunFileUploadOptions {
  taskId: string;
  /** Sent as `?attempt=N`: a server that moved the job on to a newer attempt answers `stored:false`. */
  attempt: number;
  http: AgentHttp;
  /** The folder the fine-tune writes `checkpoint-N/` and its outputs into. */
  runDir: string;
  log(line: string): void;
  /** Least time between two checkpoint uploads' starts mid-run (default 30 s). */
  intervalMs?: number;
  /** How often the run folder is looked at for a new checkpoint (default 2 s). */
  pollMs?: number;
  /** How long a checkpoint's files must keep their names, sizes and mtimes before it is sent (default 1 s). */
  settleMs?: number;
  /** Tries of one upload on retryable failures (default 5, backoff 1 s doubling to 10 s). */
  tries?: number;
}

/** One regular file of a folder as seen at one moment. */
interface FileVersion {
  name: string;
  size: number;
  mtimeMs: number;
}

/** A checkpoint folder: `checkpoint-<step>`. */
interface Checkpoint {
  step: number;
  dir: string;
}

/** How one upload ended: stored, ignored as a stale attempt, refused for good, or failed after every try. */
type UploadResult = 'stored' | 'stale' | 'refused' | 'failed';

const CHECKPOINT_DIR = /^checkpoint-(\d+)$/;
const TRAINER_STATE = 'trainer_state.json';
const MAX_BACKOFF_MS = 10_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const isDotFile = (name: string) => name.startsWith('.');

/**
 * The regular files directly in `dir` (no sub-folders, no symlinks), sorted by name, with size and mtime;
 * undefined when the folder cannot be read (not there yet, or removed by the trainer's checkpoint rotation).
 */
async function regularFiles(dir: string, keep: (name: string) => boolean = () => true): Promise<FileVersion[] | undefined> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => undefined);
  if (entries === undefined) return undefined;
  const files: FileVersion[] = [];
  for (const entry of entries) {
    if (!entry.isFile() || !keep(entry.name)) continue;
    const stats = await lstat(path.join(dir, entry.name)).catch(() => undefined);
    if (stats?.isFile()) files.push({ name: entry.name, size: stats.size, mtimeMs: stats.mtimeMs });
  }
  return files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Whether two looks at a folder saw the same files with the same sizes and mtimes. */
function sameFiles(a: readonly FileVersion[] | undefined, b: readonly FileVersion[] | undefined): boolean {
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  return a.every((file, i) => file.name === b[i]?.name && file.size === b[i]?.size && file.mtimeMs === b[i]?.mtimeMs);
}

/** The `checkpoint-N` folders of `runDir` (real folders, not symlinks), newest (largest N) first. */
async function checkpointFolders(runDir: string): Promise<Checkpoint[]> {
  const entries = await readdir(runDir, { withFileTypes: true }).catch(() => []);
  const found: Checkpoint[] = [];
  for (const entry of entries) {
    const match = CHECKPOINT_DIR.exec(entry.name);
    if (match && entry.isDirectory()) found.push({ step: Number(match[1]), dir: path.join(runDir, entry.name) });
  }
  return found.sort((a, b) => b.step - a.step);
}

/** The newest checkpoint that has its trainer_state.json (HF Trainer writes it among a checkpoint's last files). */
async function newestCheckpoint(runDir: string): Promise<Checkpoint | undefined> {
  for (const checkpoint of await checkpointFolders(runDir)) {
    const state = await lstat(path.join(checkpoint.dir, TRAINER_STATE)).catch(() => undefined);
    if (state?.isFile()) return checkpoint;
  }
  return undefined;
}

/**
 * The largest step of the complete checkpoints already in `runDir` before the trainer starts (-1 if none): a
 * resume's checkpoint, downloaded from the server, which must not be sent back. Synchronous, so nothing the
 * trainer writes after the start is mistaken for it.
 */
function stepHeldAtStart(runDir: string): number {
  const complete = (name: string) => lstatSync(path.join(runDir, name, TRAINER_STATE), { throwIfNoEntry: false })?.isFile() === true;
  try {
    const entries = readdirSync(runDir, { withFileTypes: true });
    const held = entries.filter((entry) => entry.isDirectory() && CHECKPOINT_DIR.test(entry.name) && complete(entry.name));
    return Math.max(-1, ...held.map((entry) => Number(CHECKPOINT_DIR.exec(entry.name)?.[1])));
  } catch {
    return -1;
  }
}

/** The folder's files when two looks `settleMs` apart saw them unchanged; undefined while they are still being written. */
async function settledFiles(dir: string, settleMs: number, keep?: (name: string) => boolean): Promise<FileVersion[] | undefined> {
  const first = await regularFiles(dir, keep);
  if (first === undefined || first.length === 0) return undefined;
  await sleep(settleMs);
  const second = await regularFiles(dir, keep);
  return sameFiles(first, second) ? second : undefined;
}

/** `12.3 MB` style (decimal units), for the log. */
function formatSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * True when the server took the request but did not store it (`data.stored === false`: the attempt is stale).
 * Needs the envelope's `data` on acknowledged outcomes; without it every acknowledgement counts as stored.
 */
function ignoredByServer(outcome: SendOutcome): boolean {
  if (outcome.kind !== 'acked' || !('data' in outcome)) return false;
  const data: unknown = outcome.data;
  return typeof data === 'object' && data !== null && (data as { stored?: unknown }).stored === false;
}

/** One PUT of a folder's files to the run-files route, retried on retryable failures; never throws. */
async function uploadFolder(options: RunFileUploadOptions, dirParam: string, folder: string, what: string, keep?: (name: string) => boolean): Promise<UploadResult> {
  const tries = options.tries ?? 5;
  const route = `/api/agent/tasks/${encodeURIComponent(options.taskId)}/run-files?attempt=${options.attempt}&dir=${encodeURIComponent(dirParam)}`;
  for (let attempt = 1; attempt <= tries; attempt++) {
    const files = await regularFiles(folder, keep);
    if (files === undefined || files.length === 0) {
      options.log(`yoloops-agent: ${what} has no files to upload (${folder}); skipping it`);
      return 'failed';
    }
    const outcome = await sendOnce(options.http, route, folder, files);
    if (outcome.kind === 'acked' && ignoredByServer(outcome)) return 'stale';
    if (outcome.kind === 'acked') {
      const size = files.reduce((sum, file) => sum + file.size, 0);
      options.log(`yoloops-agent: uploaded ${what} (${files.length} files, ${formatSize(size)}) to the server`);
      return 'stored';
    }
    if (outcome.kind === 'rejected') {
      options.log(`yoloops-agent: the server refused ${what} (HTTP ${outcome.status}: ${outcome.message}); not sending it again`);
      return 'refused';
    }
    if (attempt === tries) {
      options.log(`yoloops-agent: uploading ${what} failed ${tries} times (${outcome.reason}); giving up on it`);
      return 'failed';
    }
    await sleep(Math.min(1000 * 2 ** (attempt - 1), MAX_BACKOFF_MS));
  }
  return 'failed';
}

/** Sends the files once; a file that changed while it was read (or vanished) makes this try a retryable failure. */
async function sendOnce(http: AgentHttp, route: string, folder: string, files: readonly FileVersion[]): Promise<SendOutcome> {
  const paths = files.map((file) => path.join(folder, file.name));
  const outcome = await http.uploadFiles(route, paths, undefined, 'PUT').catch((error: unknown): SendOutcome => ({ kind: 'retry', reason: String(error) }));
  if (outcome.kind !== 'acked' || ignoredByServer(outcome)) return outcome;
  const after = await regularFiles(folder, (name) => files.some((file) => file.name === name));
  return sameFiles(files, after) ? outcome : { kind: 'retry', reason: `a file in ${folder} changed while it was sent` };
}

/**
 * Ships a fine-tune run (LLaMA-Factory / HF Trainer) to the server's run folder through
 * `PUT /api/agent/tasks/{task}/run-files?attempt=N&dir=…` (multipart, repeated part `file`, base names), so a
 * resume on another worker starts from the newest checkpoint the server holds and a completed job's adapter
 * and metrics can be registered from there. While the trainer runs, every `pollMs` it takes the newest
 * `checkpoint-N/` that has trainer_state.json and, once its files are settled, newer than the last one sent
 * and `intervalMs` after the last upload's start, sends that folder's regular files in one request
 * (`dir=checkpoint-N`). `finish` sends the newest checkpoint if still missing and, on success, the run
 * folder's top-level files (`dir=`). Checkpoints already there at the start (the one a resume downloaded) are
 * not sent back. One upload at a time; a `stored:false` answer (a stale attempt) ends all
 * uploads of this run; nothing here throws (the job's outcome does not depend on it).
 */
export function startRunFileUploads(options: RunFileUploadOptions): RunFileUploads {
  const intervalMs = options.intervalMs ?? 30_000;
  const pollMs = options.pollMs ?? 2000;
  const settleMs = options.settleMs ?? 1000;
  let stopped = false;
  let stale = false;
  let lastStart = -Infinity;
  /** The newest checkpoint the server has: the last one sent, or the one this run resumed from. */
  let sentStep = stepHeldAtStart(options.runDir);
  if (sentStep >= 0) options.log(`yoloops-agent: checkpoint-${sentStep} was in ${options.runDir} before the trainer started (a resume's); not sending it back`);
  /** Checkpoints given up on mid-run; `finish` tries a failed newest one again, never a refused one. */
  const gaveUp = new Map<number, 'refused' | 'failed'>();
  let timer: NodeJS.Timeout | undefined;
  let busy: Promise<void> | undefined;

  async function upload(dirParam: string, folder: string, what: string, keep?: (name: string) => boolean): Promise<UploadResult> {
    const result = await uploadFolder(options, dirParam, folder, what, keep);
    if (result === 'stale') {
      stale = true;
      options.log(`yoloops-agent: the server ignored ${what}: attempt ${options.attempt} is no longer the job's current attempt; no more run files are sent`);
    }
    return result;
  }
  async function uploadCheckpoint(checkpoint: Checkpoint): Promise<void> {
    lastStart = Date.now();
    const name = path.basename(checkpoint.dir);
    const result = await upload(name, checkpoint.dir, name);
    if (result === 'stored') sentStep = Math.max(sentStep, checkpoint.step);
    else if (result === 'refused' || result === 'failed') gaveUp.set(checkpoint.step, result);
  }
  /** One look mid-run: sends the newest complete checkpoint when it is settled, new and the interval has passed. */
  async function poll(): Promise<void> {
    if (stale || Date.now() - lastStart < intervalMs) return;
    const newest = await newestCheckpoint(options.runDir);
    if (newest === undefined || newest.step <= sentStep || gaveUp.has(newest.step)) return;
    if ((await settledFiles(newest.dir, settleMs)) === undefined || stopped) return;
    await uploadCheckpoint(newest);
  }
  function schedule(): void {
    if (stopped || stale) return;
    timer = setTimeout(() => {
      busy = poll().catch((error: unknown) => options.log(`yoloops-agent: run files upload error: ${String(error)}`)).finally(() => {
        busy = undefined;
        schedule();
      });
    }, pollMs);
    timer.unref();
  }
  /** After the trainer ended: the newest complete checkpoint, if the server does not have it yet (a resume starts from it). */
  async function finalCheckpoint(): Promise<void> {
    const newest = await newestCheckpoint(options.runDir);
    if (newest === undefined || newest.step <= sentStep || gaveUp.get(newest.step) === 'refused') return;
    if ((await settledFiles(newest.dir, settleMs)) === undefined) {
      return options.log(`yoloops-agent: ${path.basename(newest.dir)} kept changing after the trainer ended; not uploaded`);
    }
    await uploadCheckpoint(newest);
  }
  /** After a completed run: its top-level files (adapter or model, metrics, logs), not dot-files, folders or symlinks. */
  async function outputs(): Promise<void> {
    const keep = (name: string) => !isDotFile(name);
    const files = await regularFiles(options.runDir, keep);
    if (files === undefined || files.length === 0) return options.log(`yoloops-agent: no output files in ${options.runDir}; nothing to upload`);
    await upload('', options.runDir, "the run's outputs", keep);
  }

  schedule();
  return {
    async finish(completed) {
      stopped = true;
      clearTimeout(timer);
      try {
        await busy;
        if (!stale) await finalCheckpoint();
        if (!stale && completed) await outputs();
      } catch (error) {
        options.log(`yoloops-agent: run files upload error: ${String(error)}`);
      }
    },
  };
}
