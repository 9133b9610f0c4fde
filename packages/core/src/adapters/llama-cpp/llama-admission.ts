import { CoreError } from '../../errors.js';

/** How many generations run at once and how many may wait; one more is refused as busy (503 + Retry-After). */
export interface AdmissionLimits {
  maxConcurrent: number;
  maxQueue: number;
}

/**
 * A FIFO admission gate: `enter()` resolves when a slot is free (waiting in the queue if needed) with
 * its release function, or throws the busy error inference and the upstream use (`reason: 'busy'`,
 * `details.retry_after_s`) when `maxConcurrent` run and `maxQueue` wait. An aborted wait leaves the queue.
 */
export function createAdmission({ maxConcurrent, maxQueue }: AdmissionLimits) {
  let running = 0;
  const queue: { start: () => void; signal?: AbortSignal; onAbort: () => void }[] = [];

  const release = () => {
    running--;
    const next = queue.shift();
    if (next) {
      next.signal?.removeEventListener('abort', next.onAbort);
      running++;
      next.start();
    }
  };
  const once = () => {
    let done = false;
    return () => {
      if (!done) release();
      done = true;
    };
  };

  return {
    get running() {
      return running;
    },
    get waiting() {
      return queue.length;
    },
    async enter(signal?: AbortSignal): Promise<() => void> {
      signal?.throwIfAborted();
      if (running < maxConcurrent) {
        running++;
        return once();
      }
      if (queue.length >= maxQueue) {
        throw new CoreError('EXTERNAL_FAILURE', `text generation is busy (${running} running, ${queue.length} waiting); retry shortly`, { reason: 'busy', details: { retry_after_s: 1 } });
      }
      return new Promise((resolve, reject) => {
        const entry = {
          start: () => resolve(once()),
          ...(signal ? { signal } : {}),
          onAbort: () => {
            queue.splice(queue.indexOf(entry), 1);
            reject(signal?.reason);
          },
        };
        signal?.addEventListener('abort', entry.onAbort, { once: true });
        queue.push(entry);
      });
    },
  };
}
