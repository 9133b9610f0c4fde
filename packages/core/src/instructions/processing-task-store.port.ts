import type { ProcessingTask } from './instruction.schema.js';

/** Runs of dataset processing, kept after they end so a task listing can show them. */
export interface ProcessingTaskStore {
  /** Inserts a new task; throws `CoreError('CONFLICT')` if the id exists. */
  create(task: ProcessingTask): Promise<void>;
  get(taskId: string): Promise<ProcessingTask | undefined>;
  /** Newest first (`created_at`, then id); only one dataset's runs when `datasetId` is given. */
  list(filter?: { datasetId?: string }): Promise<ProcessingTask[]>;
  /** Shallow-merges `patch` (keys with `undefined` are removed; `task_id` never changes); throws `NotFoundError` if missing. */
  update(taskId: string, patch: Partial<ProcessingTask>): Promise<ProcessingTask>;
}
