import { versionKey } from '../datasets/prepare-dataset.js';
import type { BlobStore } from '../storage/blob-store.port.js';

/** A blob store whose keys are files on this machine: trainers need real paths. */
export type LocalBlobStore = BlobStore & { localPath(key: string): string };

/** The `name=` of every run: Ultralytics writes `<project>/<name>/{results.csv,weights/}`. */
export const RUN_NAME = 'train';

/** Storage keys of one job: `jobs/<id>` (the trainer's project folder), its run folder, log and checkpoints. */
export function jobKeys(jobId: string) {
  const dir = `jobs/${jobId}`;
  const run = `${dir}/${RUN_NAME}`;
  return { dir, run, log: `jobs/${jobId}.log`, lastPt: `${run}/weights/last.pt`, bestPt: `${run}/weights/best.pt` };
}

/** Storage key of a prepared dataset version's data.yaml. */
export const dataYamlKey = (datasetId: string, version: string) => `${versionKey(datasetId, version)}/data.yaml`;
