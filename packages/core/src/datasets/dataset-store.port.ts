import type { Dataset, DatasetImage, DatasetStatus, ValidationReport } from './dataset.schema.js';

/** Metadata of datasets and their prepared images. */
export interface DatasetStore {
  /** Inserts a new dataset; throws `CoreError('CONFLICT')` if the id exists. */
  create(dataset: Dataset): Promise<void>;
  get(datasetId: string): Promise<Dataset | undefined>;
  /** Newest upload first. */
  list(): Promise<Dataset[]>;
  /** Shallow-merges `patch` (keys with `undefined` are removed) and returns the new record. */
  update(datasetId: string, patch: Partial<Dataset>): Promise<Dataset>;
  /**
   * Compare-and-set on `status`: moves to `to` only if the current status is one of `from`.
   * Returns the record before the move, or `undefined` when the status did not match. `patch` is merged in the same write.
   */
  transition(datasetId: string, from: DatasetStatus[], to: DatasetStatus, patch?: Partial<Dataset>): Promise<Dataset | undefined>;
  delete(datasetId: string): Promise<boolean>;
  /** Replaces the image index and report of one version in one transaction. */
  putVersion(datasetId: string, version: string, images: DatasetImage[], report: ValidationReport): Promise<void>;
  listImages(datasetId: string, version: string): Promise<DatasetImage[]>;
  getReport(datasetId: string, version: string): Promise<ValidationReport | undefined>;
}
