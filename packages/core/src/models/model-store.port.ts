import type { Model } from './model.schema.js';

/** Metadata of registered models. */
export interface ModelStore {
  /** Inserts a model; throws `CoreError('CONFLICT')` if the id exists. */
  create(model: Model): Promise<void>;
  get(modelId: string): Promise<Model | undefined>;
  /** Newest first. */
  list(): Promise<Model[]>;
  /** Shallow-merges `patch` (keys with `undefined` are removed) and returns the new record. */
  update(modelId: string, patch: Partial<Model>): Promise<Model>;
  delete(modelId: string): Promise<boolean>;
  /** The model registered from a training job, if any. */
  findByJob(jobId: string): Promise<Model | undefined>;
  /**
   * Counts one use in one atomic step (`usage_count` + 1, `last_used` = the later of it and `at`, ISO 8601), so
   * concurrent uses from any number of servers are all counted; the new record, or `undefined` when there is no such model.
   */
  recordUse(modelId: string, at: string): Promise<Model | undefined>;
}
