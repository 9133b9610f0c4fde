import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidStateError, NotFoundError, ValidationError } from '../errors.js';
import { meter } from '../datasets/upload-dataset.js';
import type { BlobStore } from '../storage/blob-store.port.js';
import { cleanLogLine } from './job-logs.js';
import { jobKeys } from './job-paths.js';
import type { JobStore } from './job-store.port.js';
import type { Job } from './job.schema.js';
import type { LogBus } from './log-bus.port.js';

/** Most lines one shipped batch carries (the agent sends ≤ 500 lines / 256 KiB). */
export const MAX_SHIPPED_LINES = 2000;
/** Longest stored line, in characters; longer ones are cut. */
export const MAX_SHIPPED_LINE_CHARS = 64 * 1024;
/** Default cap of one uploaded checkpoint (weights/last.pt). */
export const DEFAULT_MAX_CHECKPOINT_BYTES = 4 * 1024 ** 3;
/** Largest single file of a fine-tune run an agent uploads (a full model's safetensors shard included). */
export const DEFAULT_MAX_RUN_FILE_BYTES = 64 * 1024 ** 3;
/** The folders of a fine-tune run an agent uploads: `''` (the run folder's top level) or `checkpoint-<N>`. */
export const RUN_FILES_DIR = /^(?:checkpoint-\d{1,12})?$/;
/** A file name of an uploaded run file: no folders, no dot-files, no `..`. */
const RUN_FILE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/;

/** How a run-files upload came out (`note` says why nothing was stored). */
export interface RunFilesResult {
  stored: boolean;
  files: number;
  size: number;
  note: string;
}

/** Stores one received file under `name`; called once per file, in body order. */
export type RunFileSink = (name: string, body: Readable) => Promise<void>;

/** A batch of trainer output lines an agent shipped: `seq` counts the batches of one attempt from 1. */
export interface ShippedLogBatch {
  attempt: number;
  seq: number;
  lines: readonly string[];
}

/** What an append came to: `stored` false = acknowledged, nothing written (`note` says why). */
export interface ShippedLogResult {
  stored: boolean;
  /** Cleaned non-blank lines appended. */
  lines: number;
  /** Log size after the call. */
  size: number;
  note: string;
}

/** What a checkpoint upload came to: `stored` false = drained and ignored (`note` says why). */
export interface CheckpointResult {
  stored: boolean;
  size: number;
  note: string;
}

export interface AgentUploadDeps {
  jobs: JobStore;
  blobs: BlobStore;
  logBus: LogBus;
  /** Largest checkpoint accepted (default 4 GiB); a larger one is TOO_LARGE and leaves the stored one. */
  maxCheckpointBytes?: number;
  /** Largest single run file of a fine-tune accepted (default 64 GiB). */
  maxRunFileBytes?: number;
}

/** Where the high-water mark of shipped batches lives: `{attempt, seq}` of the last one appended. */
const markKey = (jobId: string) => `${jobKeys(jobId).dir}/.agent-log.json`;

const positive = (value: unknown, name: string): number => {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 1) return value;
  throw new ValidationError(`${name} must be a positive integer (got ${JSON.stringify(value)})`, { reason: 'invalid_log_batch' });
};

/** Cleans lines as the log readers do: universal newlines split, right-trimmed, NUL/U+FFFD removed, blanks dropped. */
export function cleanShippedLines(lines: readonly unknown[]): string[] {
  if (!Array.isArray(lines) || lines.length > MAX_SHIPPED_LINES) {
    throw new ValidationError(`lines must be a list of at most ${MAX_SHIPPED_LINES} strings`, { reason: 'invalid_log_batch' });
  }
  const out: string[] = [];
  for (const [i, line] of lines.entries()) {
    if (typeof line !== 'string') throw new ValidationError(`lines[${i}] must be a string`, { reason: 'invalid_log_batch' });
    for (const part of line.split(/\r\n|\r|\n/)) {
      const clean = cleanLogLine(part.slice(0, MAX_SHIPPED_LINE_CHARS));
      if (clean.length > 0) out.push(clean);
    }
  }
  return out;
}

async function readMark(blobs: BlobStore, jobId: string): Promise<{ attempt: number; seq: number } | undefined> {
  if ((await blobs.stat(markKey(jobId))) === undefined) return undefined;
  try {
    const mark = JSON.parse((await blobs.readBytes(markKey(jobId))).toString('utf8')) as { attempt?: unknown; seq?: unknown };
    return typeof mark.attempt === 'number' && typeof mark.seq === 'number' ? { attempt: mark.attempt, seq: mark.seq } : undefined;
  } catch {
    return undefined;
  }
}

/** Appends with the store's own append, else by rewriting the blob whole (stores without `append`). */
async function appendBlob(blobs: BlobStore, key: string, text: string): Promise<number> {
  if (blobs.append) return (await blobs.append(key, text)).size;
  const before = (await blobs.stat(key)) ? await blobs.readBytes(key) : Buffer.alloc(0);
  return (await blobs.write(key, Buffer.concat([before, Buffer.from(text, 'utf8')]))).size;
}

/** Runs `work` after every earlier call for the same key has settled (one writer per job log in this process). */
function serializer() {
  const tails = new Map<string, Promise<unknown>>();
  return <T>(key: string, work: () => Promise<T>): Promise<T> => {
    const next = (tails.get(key) ?? Promise.resolve()).catch(() => undefined).then(work);
    const tail = next.catch(() => undefined);
    tails.set(key, tail);
    void tail.then(() => tails.get(key) === tail && tails.delete(key));
    return next;
  };
}

/**
 * What a remote trainer agent uploads besides its reports: shipped log lines (appended to the job log,
 * announced on the log bus) and checkpoints (weights/last.pt, what a resume starts from). Both are fenced
 * by attempt: an older attempt's upload is acknowledged and ignored, so a killed worker that comes back
 * never writes over the attempt that replaced it.
 */
export function createAgentUploads(deps: AgentUploadDeps) {
  const { jobs, blobs, logBus } = deps;
  const maxCheckpoint = deps.maxCheckpointBytes ?? DEFAULT_MAX_CHECKPOINT_BYTES;
  const maxRunFile = deps.maxRunFileBytes ?? DEFAULT_MAX_RUN_FILE_BYTES;
  const exclusive = serializer();
  async function current(jobId: string, attempt: number): Promise<Job | string> {
    const job = await jobs.get(jobId);
    if (job === undefined) throw new NotFoundError(`unknown training job ${JSON.stringify(jobId)}`, { reason: 'job_not_found', details: { job_id: jobId } });
    if (attempt < job.attempt) return `ignored: upload from attempt ${attempt}, the job is on attempt ${job.attempt}`;
    if (attempt > job.attempt) {
      throw new InvalidStateError(`attempt ${attempt} is ahead of job ${jobId}'s attempt ${job.attempt}`, { reason: 'attempt_ahead', details: { job_id: jobId, attempt: job.attempt } });
    }
    return job;
  }
  async function append(jobId: string, batch: ShippedLogBatch): Promise<ShippedLogResult> {
    const attempt = positive(batch.attempt, 'attempt');
    const seq = positive(batch.seq, 'seq');
    const lines = cleanShippedLines(batch.lines);
    const job = await current(jobId, attempt);
    const key = jobKeys(jobId).log;
    const size = async () => (await blobs.stat(key))?.size ?? 0;
    if (typeof job === 'string') return { stored: false, lines: 0, size: await size(), note: job };
    const mark = await readMark(blobs, jobId);
    if (mark !== undefined && (mark.attempt > attempt || (mark.attempt === attempt && mark.seq >= seq))) {
      return { stored: false, lines: 0, size: await size(), note: `already stored: batch ${seq} of attempt ${attempt}` };
    }
    const text = lines.map((line) => `${line}\n`).join('');
    const end = text === '' ? await size() : await appendBlob(blobs, key, text);
    // A crash between the append and this mark replays the one batch (its lines twice): the rare cost of no log database.
    await blobs.write(markKey(jobId), JSON.stringify({ attempt, seq }));
    // Not awaited: a bus that is down (Redis restarting) must not hold up ingest; streams then read the stored log.
    if (lines.length > 0) void logBus.publish(jobId, { attempt, lines, offset: end - Buffer.byteLength(text), end }).catch(() => undefined);
    return { stored: true, lines: lines.length, size: end, note: 'ok' };
  }
  async function checkpoint(jobId: string, attempt: number, body: Readable): Promise<CheckpointResult> {
    const job = await Promise.resolve().then(() => current(jobId, positive(attempt, 'attempt'))).catch((error: unknown) => {
      body.resume();
      throw error;
    });
    if (typeof job === 'string') {
      body.resume();
      return { stored: false, size: 0, note: job };
    }
    const keys = jobKeys(jobId);
    const scratch = `${keys.dir}/checkpoint-upload/${randomBytes(8).toString('hex')}.pt`;
    try {
      const metered = meter(maxCheckpoint, 'the checkpoint');
      const [piped, written] = await Promise.allSettled([pipeline(body, metered.stream), blobs.write(scratch, metered.stream)]);
      if (piped.status === 'rejected') throw piped.reason;
      if (written.status === 'rejected') throw written.reason;
      const { size } = written.value;
      // Checked again after the bytes arrived: a resume meanwhile makes this attempt's checkpoint stale.
      const still = await current(jobId, attempt);
      if (typeof still === 'string') return { stored: false, size: 0, note: still };
      await exclusive(jobId, () => blobs.replacePrefix(scratch, keys.lastPt));
      return { stored: true, size, note: 'ok' };
    } finally {
      await blobs.delete(scratch);
    }
  }
  /**
   * A fine-tune's files from a remote worker into the job's run folder: `dir` `checkpoint-N` as a whole (scratch
   * folder renamed over it, older uploaded checkpoints removed: a resume starts from the newest), `''` file by file
   * (each renamed into place: the final adapter, model and metrics the completion collects). `receive` calls the sink
   * once per file; a stale attempt's files are drained and ignored.
   */
  async function runFiles(jobId: string, attempt: number, dir: string, receive: (sink: RunFileSink) => Promise<unknown>): Promise<RunFilesResult> {
    const drain: RunFileSink = async (_name, body) => void body.resume();
    const refuse = async (error: Error) => {
      await receive(drain).catch(() => undefined);
      throw error;
    };
    if (!RUN_FILES_DIR.test(dir)) {
      return refuse(new ValidationError(`dir must be empty (the run folder) or checkpoint-<N> (got ${JSON.stringify(dir.slice(0, 64))})`, { reason: 'invalid_run_files_dir' }));
    }
    // In the chain, not before it: a bad attempt is refused (the parts drained) like any other refusal.
    const job = await Promise.resolve().then(() => current(jobId, positive(attempt, 'attempt'))).catch(refuse);
    if (typeof job === 'string') {
      await receive(drain);
      return { stored: false, files: 0, size: 0, note: job };
    }
    if (job.kind !== 'llm-finetune') {
      return refuse(new InvalidStateError(`job ${jobId} trains a detector: its agent uploads weights/last.pt to /checkpoint and its weights to /weights`, { reason: 'not_a_finetune', details: { job_id: jobId } }));
    }
    const keys = jobKeys(jobId);
    const scratch = `${keys.dir}/run-upload/${randomBytes(8).toString('hex')}`;
    const names: string[] = [];
    let size = 0;
    try {
      await receive(async (name, body) => {
        // At the top level a file must not take a checkpoint folder's name (it would replace the folder).
        if (!RUN_FILE_NAME.test(name) || names.includes(name) || (dir === '' && RUN_FILES_DIR.test(name))) {
          body.resume();
          throw new ValidationError(`run file name ${JSON.stringify(name.slice(0, 64))} is not a plain file name (letters, digits, . _ -; no folders, no dot-files) or came twice`, { reason: 'invalid_run_file_name' });
        }
        const metered = meter(maxRunFile, `run file ${name}`);
        const [piped, written] = await Promise.allSettled([pipeline(body, metered.stream), blobs.write(`${scratch}/${name}`, metered.stream)]);
        if (piped.status === 'rejected') throw piped.reason;
        if (written.status === 'rejected') throw written.reason;
        names.push(name);
        size += written.value.size;
      });
      if (names.length === 0) throw new ValidationError('no run file in the upload', { reason: 'no_run_files' });
      // Checked again after the bytes arrived: a resume meanwhile makes this attempt's files stale.
      const still = await current(jobId, attempt);
      if (typeof still === 'string') return { stored: false, files: 0, size: 0, note: still };
      await exclusive(jobId, async () => {
        if (dir === '') {
          for (const name of names) await blobs.replacePrefix(`${scratch}/${name}`, `${keys.run}/${name}`);
          return;
        }
        await blobs.replacePrefix(scratch, `${keys.run}/${dir}`);
        const step = Number(dir.slice('checkpoint-'.length));
        const older = new Set((await blobs.list(keys.run)).map((key) => /^\/(checkpoint-(\d+))\//.exec(key.slice(keys.run.length))).filter((m) => m !== null && Number(m[2]) < step).map((m) => m![1]!));
        for (const folder of older) await blobs.delete(`${keys.run}/${folder}`);
      });
      return { stored: true, files: names.length, size, note: 'ok' };
    } finally {
      await blobs.delete(scratch);
    }
  }
  return {
    /** Stores a fine-tune's uploaded run files (a checkpoint-N folder, or the final outputs) in the job's run folder. */
    storeRunFiles: runFiles,
    /** Appends a shipped batch to the job log once per (attempt, seq) and publishes it on the log bus. */
    appendLogs: (jobId: string, batch: ShippedLogBatch) => exclusive(`log:${jobId}`, () => append(jobId, batch)),
    /** Stores the attempt's checkpoint as the job's weights/last.pt (atomically: scratch file, then rename). */
    storeCheckpoint: checkpoint,
    /** Follows the job's log-bus messages (all replicas' appends) until the returned function is called. */
    followLog: (jobId: string, listener: Parameters<LogBus['subscribe']>[1]) => logBus.subscribe(jobId, listener),
  };
}

/** The agent upload use cases, part of the job service. */
export type AgentUploads = ReturnType<typeof createAgentUploads>;
