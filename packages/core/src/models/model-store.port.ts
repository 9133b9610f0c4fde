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
}
