import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { AgentHttp } from './http.js';

/** Uploads of a run's weights/last.pt: what a resume on another machine starts from. */
export interface CheckpointUploads {
  /** An epoch ended: uploads last.pt in the background if it changed and the last upload is old enough. */
  epochEnded(): void;
  /** Waits for an upload in flight, then uploads last.pt once more if it changed since. */
  finish(): Promise<void>;
}

/** Options of {@link startCheckpointUploads}. */
export interface CheckpointUploadOptions {
  taskId: string;
  attempt: number;
  http: AgentHttp;
  /** The run folder (known once the trainer wrote results.csv, when not given up front). */
  runDir(): string | undefined;
  /** Least time between two uploads' starts (default 30 s). */
  intervalMs?: number;
  /**
   * How long last.pt must keep its size and mtime before an upload mid-run (default 1000 ms: the trainer may be
   * writing it); with short epochs a third of the last epoch's length, since the next epoch rewrites it.
   */
  settleMs?: number;
  /** Tries of one upload on retryable failures (default 5, backoff 1 s doubling to 10 s). */
  tries?: number;
  log(line: string): void;
}

type Version = { size: number; mtimeMs: number };
const same = (a: Version | undefined, b: Version | undefined) => a !== undefined && b !== undefined && a.size === b.size && a.mtimeMs === b.mtimeMs;
const versionOf = (file: string): Promise<Version | undefined> => stat(file).then((s) => ({ size: s.size, mtimeMs: s.mtimeMs }), () => undefined);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Looks at a changing last.pt before an epoch's upload gives up; the shortest quiet time asked of it. */
const SETTLE_LOOKS = 4;
const MIN_SETTLE_MS = 50;

/**
 * Sends weights/last.pt to `PUT /api/agent/tasks/{id}/checkpoint?attempt=N` (streamed from disk) when its
 * size or mtime changed since the last upload: after an epoch at most every `intervalMs`, and once at the
 * end. A file that changes while it is read fails that try (the next epoch or the end sends it again);
 * retryable failures are retried with backoff, a refusal (a 404 from a server without the route) is logged.
 */
export function startCheckpointUploads(options: CheckpointUploadOptions): CheckpointUploads {
  const intervalMs = options.intervalMs ?? 30_000;
  const tries = options.tries ?? 5;
  const route = `/api/agent/tasks/${encodeURIComponent(options.taskId)}/checkpoint?attempt=${options.attempt}`;
  let sent: Version | undefined;
  let lastStart = -Infinity;
  let running: Promise<void> | undefined;
  // The first epoch's length is measured from the start (it includes the trainer's start-up: an overestimate).
  let lastEpochAt = Date.now();
  let epochMs: number | undefined;

  async function send(file: string, version: Version): Promise<void> {
    for (let attempt = 1; attempt <= tries; attempt++) {
      const outcome = await options.http.uploadFiles(route, [file], undefined, 'PUT').catch((error: unknown) => ({ kind: 'retry' as const, reason: String(error) }));
      if (outcome.kind === 'acked') {
        if (same(await versionOf(file), version)) sent = version;
        return options.log(`yoloops-agent: checkpoint ${file} (${version.size} bytes) sent to the server`);
      }
      if (outcome.kind === 'rejected') return options.log(`yoloops-agent: the server refused the checkpoint (HTTP ${outcome.status}: ${outcome.message})`);
      if (attempt === tries) return options.log(`yoloops-agent: sending the checkpoint failed (${outcome.reason}); giving up on this one`);
      await sleep(Math.min(1000 * 2 ** (attempt - 1), 10_000));
    }
  }
  async function upload(settleMs: number): Promise<void> {
    const dir = options.runDir();
    if (dir === undefined) return;
    const file = path.join(dir, 'weights', 'last.pt');
    const version = await versionOf(file);
    if (version === undefined || same(version, sent)) return;
    let settled = version;
    // Still being written, or already the next epoch's: follow it a few times, then leave it to a later epoch or the end.
    for (let look = 0; settleMs > 0; look++) {
      await sleep(settleMs);
      const now = await versionOf(file);
      if (same(now, settled)) break;
      if (now === undefined || look === SETTLE_LOOKS - 1) return;
      settled = now;
    }
    lastStart = Date.now();
    await send(file, settled);
  }
  /** The quiet time asked of last.pt: at most `settleMs`, at most a third of an epoch (short epochs rewrite it sooner). */
  const settleFor = () => {
    const most = options.settleMs ?? 1000;
    return epochMs === undefined ? most : Math.min(most, Math.max(MIN_SETTLE_MS, Math.floor(epochMs / 3)));
  };
  const run = (settleMs: number) => {
    running = upload(settleMs).catch((error: unknown) => options.log(`yoloops-agent: checkpoint upload error: ${String(error)}`)).finally(() => (running = undefined));
    return running;
  };
  return {
    epochEnded() {
      const at = Date.now();
      epochMs = at - lastEpochAt;
      lastEpochAt = at;
      if (running === undefined && at - lastStart >= intervalMs) void run(settleFor());
    },
    async finish() {
      await running;
      await run(0);
    },
  };
}
