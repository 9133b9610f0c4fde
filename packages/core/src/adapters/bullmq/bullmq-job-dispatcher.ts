import type { Queue } from 'bullmq';
import { loadIoredis } from '../redis/load-ioredis.js';
import { CoreError } from '../../errors.js';
import type { DispatchRequest, JobDispatcher } from '../../jobs/job-dispatcher.port.js';
import { dispatchJobId, queueNameFor, redeliveryJobId } from '../../workers/worker-queues.js';

/** Where the dispatcher's queues live and what it does with connection trouble. */
export interface BullmqJobDispatcherOptions {
  /** `redis://` or `rediss://` URL (YOLOOPS_REDIS_URL). */
  url: string;
  /** BullMQ key prefix (default BullMQ's own, `bull`); workers must use the same. */
  prefix?: string;
  /** Longest a dispatch waits for Redis before it rejects (default 5000 ms); the watchdog sends it again later. */
  timeoutMs?: number;
  /** Told about connection errors (logged by the server); they never throw out of the dispatcher. */
  onError?: (error: Error) => void;
}

/**
 * `JobDispatcher` on BullMQ: one queue per label set (`train`, `train.gpu=a100`…), message `{job_id, attempt}` with the
 * BullMQ job id `<job_id>.<attempt>` (`.r` for a re-delivery), so a repeated dispatch adds nothing while one is pending;
 * finished messages are removed, so a later re-delivery of the same id is possible. ioredis reconnects by itself.
 * @example const dispatcher = createBullmqJobDispatcher({ url: 'redis://127.0.0.1:6379', onError: (e) => log.warn(e) });
 */
export function createBullmqJobDispatcher(options: BullmqJobDispatcherOptions): JobDispatcher {
  const timeoutMs = options.timeoutMs ?? 5000;
  // Named in errors without user or password.
  const where = URL.canParse(options.url) ? `${new URL(options.url).protocol}//${new URL(options.url).host}` : 'the Redis URL';
  const report = (error: Error) => options.onError?.(error);
  const { Redis } = loadIoredis();
  const connection = new Redis(options.url, { maxRetriesPerRequest: null, lazyConnect: true });
  connection.on('error', report);
  const queues = new Map<string, Queue>();
  let closed = false;
  // bullmq is loaded with the first dispatch: a server that never dispatches (no Redis configured) never loads it.
  let bullmq: Promise<typeof import('bullmq')> | undefined;
  const queueOf = async (name: string): Promise<Queue> => {
    const { Queue } = await (bullmq ??= import('bullmq'));
    if (closed) throw new CoreError('EXTERNAL_FAILURE', 'the BullMQ dispatcher is closed', { reason: 'dispatcher_closed' });
    let queue = queues.get(name);
    if (queue === undefined) {
      queue = new Queue(name, { connection, ...(options.prefix === undefined ? {} : { prefix: options.prefix }) });
      queue.on('error', report);
      queues.set(name, queue);
    }
    return queue;
  };
  const withTimeout = <T>(promise: Promise<T>, what: string): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CoreError('EXTERNAL_FAILURE', `Redis at ${where} did not answer ${what} within ${timeoutMs} ms`, { reason: 'redis_unavailable' })), timeoutMs);
    });
    return Promise.race([promise, late]).finally(() => clearTimeout(timer));
  };

  return {
    async dispatch(request: DispatchRequest, dispatchOptions = {}) {
      if (closed) throw new CoreError('EXTERNAL_FAILURE', 'the BullMQ dispatcher is closed', { reason: 'dispatcher_closed' });
      const ref = { job_id: request.job_id, attempt: request.attempt };
      const jobId = dispatchOptions.redelivery === true ? redeliveryJobId(ref) : dispatchJobId(ref);
      const added = queueOf(queueNameFor(request.worker_labels)).then((queue) => queue.add('train', ref, { jobId, removeOnComplete: true, removeOnFail: true }));
      added.catch(() => undefined);
      try {
        await withTimeout(added, `the dispatch of ${jobId}`);
      } catch (error) {
        if (error instanceof CoreError) throw error;
        throw new CoreError('EXTERNAL_FAILURE', `could not queue ${jobId} on Redis at ${where}: ${(error as Error).message}`, { reason: 'redis_unavailable', cause: error });
      }
    },
    async close() {
      closed = true;
      await Promise.allSettled([...queues.values()].map((queue) => queue.close()));
      connection.disconnect();
    },
  };
}
