import type { InstructionDataset } from './instruction.schema.js';

/** Metadata of uploaded instruction datasets (the files themselves live in the BlobStore). */
export interface InstructionDatasetStore {
  /** Inserts a new record; throws `CoreError('CONFLICT')` if the id exists. */
  create(dataset: InstructionDataset): Promise<void>;
  get(id: string): Promise<InstructionDataset | undefined>;
  /** Newest first (`created_at`, then id). */
  list(): Promise<InstructionDataset[]>;
  /** Shallow-merges `patch` (keys with `undefined` are removed; `id` never changes); throws `NotFoundError` if missing. */
  update(id: string, patch: Partial<InstructionDataset>): Promise<InstructionDataset>;
  delete(id: string): Promise<boolean>;
}
