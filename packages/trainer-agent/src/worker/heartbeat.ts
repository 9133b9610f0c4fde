import { setTimeout as sleep } from 'node:timers/promises';
import { summarizeGpus, WorkerHeartbeatAnswerSchema, type GpuMonitor, type WorkerCancel, type WorkerHeartbeatInput, type WorkerJobRef } from '@yoloops/core';
import type { WorkerHttp } from './worker-http.js';

/** Options of {@link startHeartbeat}. */
export interface HeartbeatOptions {
  http: WorkerHttp;
  workerId: string;
  /** The fixed part of every heartbeat. */
  info: Pick<WorkerHeartbeatInput, 'labels' | 'concurrency' | 'hostname' | 'version'>;
  jobs: () => WorkerJobRef[];
  gpus: GpuMonitor;
  /** Called for each attempt the server no longer wants here. */
  onCancel: (cancel: WorkerCancel) => void;
  log: (line: string) => void;
  /** Until the server says otherwise (default 2 s). */
  intervalMs?: number;
}

/** A running heartbeat. */
export interface Heartbeat {
  /** Sends one heartbeat now (also what the loop does); resolves false when the server could not be reached. */
  beat(): Promise<boolean>;
  /** How long the server waits before it takes a silent worker for dead (from its last answer; default 15 s). */
  timeoutMs(): number;
  stop(): Promise<void>;
}

const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value));

/**
 * Posts `POST /api/workers/{id}/heartbeat` every `heartbeat_ms` the server asks for (250 ms–30 s) with the
 * attempts held and the GPUs, and hands every `cancel` of the answer to `onCancel`. A server away is
 * logged once per outage; the loop goes on.
 */
export function startHeartbeat(options: HeartbeatOptions): Heartbeat {
  const route = `/api/workers/${encodeURIComponent(options.workerId)}/heartbeat`;
  let interval = options.intervalMs ?? 2000;
  let timeout = 15_000;
  let failing = false;
  const stopper = new AbortController();

  async function beat(): Promise<boolean> {
    const gpus = summarizeGpus(await options.gpus.read()).metrics;
    const body = { ...options.info, jobs: options.jobs(), gpus };
    try {
      const response = await options.http.post(route, body, stopper.signal);
      const answer = WorkerHeartbeatAnswerSchema.safeParse(response.body);
      if (response.status !== 200 || !answer.success) throw new Error(`HTTP ${response.status}${answer.success ? '' : ' without a heartbeat answer'}`);
      if (failing) options.log('yoloops worker: heartbeat reaches the server again');
      failing = false;
      interval = clamp(answer.data.heartbeat_ms, 250, 30_000);
      timeout = answer.data.timeout_ms;
      for (const cancel of answer.data.cancel) options.onCancel(cancel);
      return true;
    } catch (error) {
      if (!failing && !stopper.signal.aborted) options.log(`yoloops worker: heartbeat failed (${(error as Error).message}); the trainers go on`);
      failing = true;
      return false;
    }
  }

  const loop = (async () => {
    while (!stopper.signal.aborted) {
      await beat();
      await sleep(interval, undefined, { signal: stopper.signal }).catch(() => undefined);
    }
  })();

  return {
    beat,
    timeoutMs: () => timeout,
    async stop() {
      stopper.abort();
      await loop;
    },
  };
}
