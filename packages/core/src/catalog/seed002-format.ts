import type { Dataset } from '../datasets/dataset.schema.js';
import type { JobStatus } from '../jobs/job.schema.js';

/** Seed 002's four task states. */
export type Seed002TaskStatus = 'pending' | 'running' | 'completed' | 'failed';
/** Seed 002's dataset states. */
export type Seed002DatasetStatus = 'pending' | 'processing' | 'ready' | 'failed';

/**
 * A job's status on seed 002's scale: queued → pending, running → running, completed → completed;
 * failed, crashed and stopped (ended without finishing; a stopped job can still be resumed) → failed.
 */
export function taskStatusOfJob(status: JobStatus): Seed002TaskStatus {
  if (status === 'queued') return 'pending';
  if (status === 'running' || status === 'completed') return status;
  return 'failed';
}

/**
 * A dataset's preparation on seed 002's scale: no upload yet or uploaded and not prepared → pending,
 * preparing → processing, prepared → ready, a failed prepare (`error` set, not prepared) → failed.
 */
export function datasetStatusOf(dataset: Pick<Dataset, 'status' | 'error'> | undefined): Seed002DatasetStatus {
  if (dataset === undefined) return 'pending';
  if (dataset.status === 'prepared') return 'ready';
  if (dataset.status === 'preparing') return 'processing';
  return dataset.error ? 'failed' : 'pending';
}

/** The task status of a dataset preparation (ready → completed, processing → running). */
export function taskStatusOfDataset(dataset: Pick<Dataset, 'status' | 'error'>): Seed002TaskStatus {
  const status = datasetStatusOf(dataset);
  return status === 'ready' ? 'completed' : status === 'processing' ? 'running' : status;
}

/** Percent of the planned epochs stored, 1 decimal, capped at 100; a completed job is 100. */
export function trainingProgress(input: { status: JobStatus; epochsStored: number; epochsPlanned: number }): number {
  if (input.status === 'completed') return 100;
  if (input.epochsPlanned <= 0) return 0;
  return Math.min(100, Math.round((1000 * input.epochsStored) / input.epochsPlanned) / 10);
}

/** The origin's `size_formatted`: 1024 steps, two decimals and a space (`"50.00 MB"`, `"0.00 B"`). */
export function formatSizeWithUnit(bytes: number): string {
  let value = bytes;
  for (const unit of ['B', 'KB', 'MB', 'GB']) {
    if (value < 1024) return `${value.toFixed(2)} ${unit}`;
    value /= 1024;
  }
  return `${value.toFixed(2)} TB`;
}

/** Seed 002's model `size`: 1024 steps, at most one decimal, no space (`"14GB"`, `"6.2MB"`, `"0B"`). */
export function formatSizeShort(bytes: number): string {
  let value = bytes;
  for (const unit of ['B', 'KB', 'MB', 'GB']) {
    if (value < 1024) return `${unit === 'B' ? value : Number(value.toFixed(1))}${unit}`;
    value /= 1024;
  }
  return `${Number(value.toFixed(1))}TB`;
}
