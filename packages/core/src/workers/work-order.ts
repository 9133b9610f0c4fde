import path from 'node:path';
import { jobKeys, type LocalBlobStore } from '../jobs/job-paths.js';
import { toLlamaFactoryConfig } from '../jobs/llamafactory-config.js';
import { RESUMED_FROM_START } from '../jobs/job-requests.js';
import type { Job, TrainerCommand } from '../jobs/job.schema.js';
import { RUN_NAME } from '../jobs/job-paths.js';
import type { WorkOrder } from './worker.schema.js';

/** Whether the job's current attempt resumes from a checkpoint (else it trains with the train template). */
export const resumesFromCheckpoint = (job: Job): boolean =>
  job.attempt > 1 && job.resumed_from !== undefined && job.resumed_from !== RESUMED_FROM_START;

/** Files a fresh attempt may start from inside the job's folder (fine-tune base, extend parent weights). */
const START_FILES = ['start_base.pt', 'start_last.pt', 'start_best.pt'] as const;

/**
 * Data-root key of the weights the current attempt starts from, when they are a file of the server: the stored
 * checkpoint (last.pt) of a resume, or the job's copied start weights; undefined for a model name the trainer fetches.
 */
export function attemptWeightsKey(job: Job, blobs: LocalBlobStore): string | undefined {
  const keys = jobKeys(job.job_id);
  if (job.kind === 'llm-finetune') {
    // A fine-tune resumes from a checkpoint-N folder of its run (the newest one its agents uploaded); a fresh one starts from a model name.
    if (!resumesFromCheckpoint(job)) return undefined;
    const key = `${keys.run}/${path.basename(job.resumed_from ?? '')}`;
    return /\/checkpoint-\d+$/.test(key) && blobs.localPath(key) === job.resumed_from ? key : undefined;
  }
  if (resumesFromCheckpoint(job)) return keys.lastPt;
  return START_FILES.map((name) => `${keys.dir}/${name}`).find((key) => blobs.localPath(key) === job.original_model_path);
}

/** The data-root key of an absolute path inside the data root (a fine-tune's dataset folder), or undefined. */
export function dataRootKey(blobs: LocalBlobStore, absolute: string): string | undefined {
  const root = path.dirname(blobs.localPath('probe'));
  const key = path.relative(root, absolute).split(path.sep).join('/');
  if (key === '' || key.startsWith('..') || path.isAbsolute(key)) return undefined;
  try {
    return blobs.localPath(key) === absolute ? key : undefined;
  } catch {
    return undefined;
  }
}

/** The LLaMA-Factory arguments of a fine-tune's attempt, less the three paths a worker sets to its own (dataset_dir, output_dir, resume_from_checkpoint). */
function finetuneArguments(job: Job): Record<string, unknown> | null {
  if (job.kind !== 'llm-finetune' || job.llm === undefined) return null;
  const { dataset_dir: _dataset, output_dir: _output, resume_from_checkpoint: _resume, ...rest } = toLlamaFactoryConfig(job.llm, { outputDir: '' });
  return rest;
}

/** Paths (relative to the server) of a job's downloads for workers. */
export const workerDownloadPaths = (jobId: string, attempt: number) => {
  const base = `/api/workers/jobs/${encodeURIComponent(jobId)}`;
  return { dataset: `${base}/dataset?attempt=${attempt}`, weights: `${base}/weights?attempt=${attempt}` };
};

/** The work order of a claimed attempt: the trainer template the worker fills with its own paths, values and downloads. */
export function buildWorkOrder(options: { job: Job; trainer: TrainerCommand; agentToken: string | null; blobs: LocalBlobStore }): WorkOrder {
  const { job, blobs } = options;
  const resume = resumesFromCheckpoint(job);
  const weightsKey = attemptWeightsKey(job, blobs);
  const urls = workerDownloadPaths(job.job_id, job.attempt);
  return {
    job_id: job.job_id,
    attempt: job.attempt,
    kind: job.kind ?? 'detect',
    agent_token: options.agentToken,
    trainer: [...(resume ? options.trainer.resume : options.trainer.train)],
    resume,
    values: {
      epochs: String(job.epochs), imgsz: String(job.imgsz), batch: String(job.batch), name: RUN_NAME, job_id: job.job_id,
      ...(weightsKey === undefined ? { model: job.original_model_path } : {}),
    },
    dataset: { url: urls.dataset, dataset_id: job.dataset_id, version: job.version },
    weights: weightsKey === undefined ? null : { url: urls.weights, file_name: weightsKey.split('/').pop() ?? 'weights.pt', folder: job.kind === 'llm-finetune' },
    finetune: job.kind === 'llm-finetune' ? { arguments: finetuneArguments(job) ?? {} } : null,
  };
}
