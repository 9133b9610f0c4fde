import { setTimeout as sleep } from 'node:timers/promises';
import { DispatchMessageSchema } from '@yoloops/core';
import type * as BullMQ from 'bullmq';
import type { Job, Worker } from 'bullmq';
import { createRequire } from 'node:module';
import type { AttemptRunner } from './attempt-runner.js';
import { createSlots } from './slots.js';

// bullmq (and the Redis client under it) is required when a worker starts: a program that imports this package
// for the trainer agent alone, or the server for the agent's path, never loads it.
const require = createRequire(import.meta.url);

/** Options of {@link startQueueConsumers}. */
export interface QueueConsumersOptions {
  queues: readonly string[];
  redisUrl: string;
  /** Slots shared by every queue. */
  concurrency: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
  runner: AttemptRunner;
  /** Aborted when the worker leaves: messages then go back delayed by `handBackDelayMs()`. */
  shutdown: AbortSignal;
  handBackDelayMs: () => number;
  log: (line: string) => void;
}

/** BullMQ consumers of a worker's queues. */
export interface QueueConsumers {
  /** Stops fetching (call after aborting `shutdown` and ending the runs); waits ≤ 5 s for the hand-backs, then force-closes. */
  close(): Promise<void>;
}

/** How long a message whose claim the server refused for this worker's token waits before it is offered again. */
const UNAUTHORIZED_RETRY_MS = 10_000;

/** Logs a BullMQ/ioredis connection error at most every 10 s per queue (they repeat while Redis is away). */
function errorLogger(log: (line: string) => void, queue: string): (error: Error) => void {
  let last = 0;
  return (error) => {
    if (Date.now() - last < 10_000) return;
    last = Date.now();
    log(`yoloops worker: queue ${queue}: ${error.message} (retrying)`);
  };
}

/**
 * One BullMQ `Worker` per queue (concurrency N each, N slots shared): a message taken while every slot is busy
 * goes straight back to its queue (`moveToWait`), and every consumer pauses while the slots are full, so a busy
 * worker holds no message it does not run. Stalled messages (a dead worker's) always return to their queue
 * (`maxStalledCount` unbounded): the server decides by claim whether they still run.
 */
export function startQueueConsumers(o: QueueConsumersOptions): QueueConsumers {
  const { DelayedError, WaitingError, Worker } = require('bullmq') as typeof BullMQ;
  const slots = createSlots(o.concurrency);
  const workers: Worker[] = [];
  const syncPause = () => {
    const full = slots.used >= slots.size || o.shutdown.aborted;
    for (const worker of workers) {
      if (full && !worker.isPaused()) void worker.pause(true);
      else if (!full && worker.isPaused()) worker.resume();
    }
  };
  /** Puts a message back, due when the server will have taken this worker for dead (so a claim then makes a new attempt). */
  const handBack = async (job: Job, token: string | undefined, delayMs: number): Promise<never> => {
    await job.moveToDelayed(Date.now() + delayMs, token);
    throw new DelayedError();
  };
  async function processMessage(job: Job, token?: string): Promise<string> {
    const message = DispatchMessageSchema.safeParse(job.data);
    if (!message.success) {
      o.log(`yoloops worker: message ${job.id ?? '?'} on ${job.queueName} is not a dispatch message; dropped`);
      return 'invalid';
    }
    if (o.shutdown.aborted) return handBack(job, token, o.handBackDelayMs());
    if (!slots.tryAcquire()) {
      await job.moveToWait(token);
      throw new WaitingError();
    }
    syncPause();
    try {
      const outcome = await o.runner.handle(message.data, o.shutdown).catch((error: unknown) => (o.shutdown.aborted ? 'abandoned' : Promise.reject(error)));
      if (outcome === 'abandoned') return await handBack(job, token, o.handBackDelayMs());
      // Back to the queue for a worker whose token the server takes; this one tries again in a while.
      if (outcome === 'unauthorized') return await handBack(job, token, UNAUTHORIZED_RETRY_MS);
      return outcome;
    } finally {
      slots.release();
      syncPause();
    }
  }
  for (const queue of o.queues) {
    const worker = new Worker(queue, processMessage, {
      connection: { url: o.redisUrl, maxRetriesPerRequest: null },
      concurrency: o.concurrency, lockDuration: o.lockDurationMs, stalledInterval: o.stalledIntervalMs, maxStalledCount: Number.MAX_SAFE_INTEGER,
    });
    worker.on('error', errorLogger(o.log, queue));
    workers.push(worker);
  }
  return {
    async close() {
      syncPause();
      const closed = Promise.all(workers.map((worker) => worker.close()));
      // Redis away: the hand-backs cannot finish; their locks expire and BullMQ re-delivers the messages anyway.
      if (!(await Promise.race([closed.then(() => true), sleep(5000).then(() => false)]))) await Promise.all(workers.map((worker) => worker.close(true)));
    },
  };
}
