import type { ZipLimits } from './zip/zip-limits.js';

/** Caps applied to dataset uploads and preparation; every one is configurable per server. */
export interface DatasetLimits {
  /** Largest accepted upload (default 20 GiB). */
  maxUploadBytes: number;
  zip: Partial<ZipLimits>;
  /** Largest label file read (default 16 MiB). */
  maxLabelFileBytes: number;
  /** Issues listed in a validation report; the rest are counted (default 1000). */
  maxIssues: number;
  /** Images decoded at once while preparing (default 4). */
  probeConcurrency: number;
}

export const DEFAULT_DATASET_LIMITS: DatasetLimits = {
  maxUploadBytes: 20 * 1024 ** 3,
  zip: {},
  maxLabelFileBytes: 16 * 1024 ** 2,
  maxIssues: 1000,
  probeConcurrency: 6,
};
