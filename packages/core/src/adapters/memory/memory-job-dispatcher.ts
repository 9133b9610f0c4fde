import { CoreError } from '../../errors.js';
import type { DispatchRequest, JobDispatcher } from '../../jobs/job-dispatcher.port.js';
import { dispatchJobId, queueNameFor, redeliveryJobId, type DispatchMessage } from '../../workers/worker-queues.js';

/** A message waiting on an in-process queue. */
export interface PendingDispatch {
  /** The BullMQ-style id (`<job_id>.<attempt>`, `.r` for a re-delivery). */
  id: string;
  queue: string;
  message: DispatchMessage;
}

/**
 * In-process `JobDispatcher`: per-label-set FIFO queues in memory with the same message ids as the BullMQ
 * adapter (a pending id is added once). `take(queues)` hands the oldest message of those queues to an in-process worker.
 */
export function createMemoryJobDispatcher() {
  const pending = new Map<string, PendingDispatch>();
  let closed = false;
  const dispatcher: JobDispatcher & {
    take(queues: readonly string[]): PendingDispatch | undefined;
    pending(): PendingDispatch[];
  } = {
    async dispatch(request: DispatchRequest, options = {}) {
      if (closed) throw new CoreError('EXTERNAL_FAILURE', 'the dispatcher is closed', { reason: 'dispatcher_closed' });
      const ref = { job_id: request.job_id, attempt: request.attempt };
      const id = options.redelivery === true ? redeliveryJobId(ref) : dispatchJobId(ref);
      if (!pending.has(id)) pending.set(id, { id, queue: queueNameFor(request.worker_labels), message: ref });
    },
    take(queues) {
      for (const entry of pending.values()) {
        if (queues.includes(entry.queue)) {
          pending.delete(entry.id);
          return structuredClone(entry);
        }
      }
      return undefined;
    },
    pending: () => [...pending.values()].map((entry) => structuredClone(entry)),
    async close() {
      closed = true;
    },
  };
  return dispatcher;
}

/** The in-process dispatcher, with `take` and `pending` for an in-process worker or a test. */
export type MemoryJobDispatcher = ReturnType<typeof createMemoryJobDispatcher>;
