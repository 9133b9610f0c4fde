import type { WorkerStore } from '../../workers/worker-store.port.js';
import type { WorkerRecord } from '../../workers/worker.schema.js';

const clone = (record: WorkerRecord): WorkerRecord => structuredClone(record);

/** In-memory `WorkerStore` (one process: tests, embedders without a database). */
export function createMemoryWorkerStore(): WorkerStore {
  const workers = new Map<string, WorkerRecord>();
  return {
    async heartbeat(record) {
      workers.set(record.worker_id, clone(record));
    },
    get: async (workerId) => {
      const found = workers.get(workerId);
      return found === undefined ? undefined : clone(found);
    },
    list: async () => [...workers.values()].sort((a, b) => (a.worker_id < b.worker_id ? -1 : 1)).map(clone),
    async forgetStaleAfter(before) {
      let removed = 0;
      for (const [id, record] of workers) {
        if (record.last_heartbeat < before) {
          workers.delete(id);
          removed += 1;
        }
      }
      return removed;
    },
  };
}
