import type { WorkerRecord } from './worker.schema.js';

/** The workers the servers have heard of, shared by every server (it lives in the platform's database). */
export interface WorkerStore {
  /** Inserts or replaces the worker's record (its last heartbeat). */
  heartbeat(record: WorkerRecord): Promise<void>;
  get(workerId: string): Promise<WorkerRecord | undefined>;
  /** Every known worker, by id. */
  list(): Promise<WorkerRecord[]>;
  /** Removes workers whose last heartbeat is older than `before` (ISO); returns how many went. */
  forgetStaleAfter(before: string): Promise<number>;
}
