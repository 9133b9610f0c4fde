import { CoreError, finetuneProgress, InvalidStateError, isCoreError, latestStepMetrics, NotFoundError, type InstructionDataset, type Job, type JobStatus, type ProcessedOutput } from '@yoloops/core';
import type { Response } from 'express';
import { HttpError } from '../http/errors.js';
import { principalOf } from '../http/principal.js';
import { mayAccess } from '../http/resource-access.js';
import type { TrainInput } from '../seed003/train-input.js';
import { SEED003_MESSAGES } from '../seed003/validation.js';
import type { AppServices } from '../services.js';
import { recordOwner } from './ownership.js';

/** Seed 003's five training states over the job's six (a stop is the seed's cancel; a crash is a failure). */
export const SEED003_TRAINING_STATUS: Record<JobStatus, 'queued' | 'running' | 'completed' | 'failed' | 'canceled'> = {
  queued: 'queued', running: 'running', completed: 'completed', failed: 'failed', stopped: 'canceled', crashed: 'failed',
};

export const trainingNotFound = (): HttpError => new HttpError(404, SEED003_MESSAGES.trainingNotFound, 'not_found');

type Found = { ds: InstructionDataset; output: ProcessedOutput; project_id: number | null };
const trimSlashes = (text: string) => text.replace(/(?<=.)\/+$/, '');

/** The caller's instruction datasets with their index entries (admins and auth off: all). */
async function ownDatasets(services: AppServices, res: Response) {
  const p = principalOf(res);
  const out = [];
  for (const ds of await services.instructions.list()) {
    const entry = await services.resources.ensure('dataset', ds.id, { owner_id: ds.owner_id });
    if (await mayAccess(services, p, entry)) out.push({ ds, entry });
  }
  return out;
}

/**
 * The processed output a seed 003 `dataset_path` names, among the caller's own instruction datasets only:
 * the `output_path` that `POST /api/v1/datasets/process` answered, `<dataset id or number>/<output_name>`,
 * or the processing `task_id`. It is never opened as a path: anything else is a 404 naming it.
 */
export async function resolveDatasetPath(services: AppServices, res: Response, datasetPath: string): Promise<Found> {
  const ref = trimSlashes(datasetPath.trim());
  const slash = ref.indexOf('/');
  const [head, tail] = slash > 0 ? [ref.slice(0, slash), ref.slice(slash + 1)] : [undefined, undefined];
  for (const { ds, entry } of await ownDatasets(services, res)) {
    for (const output of [...ds.processed].reverse()) {
      const byPath = trimSlashes(output.output_path) === ref;
      const byName = tail === output.output_name && (head === ds.id || head === String(entry.number));
      if (byPath || byName || output.task_id === ref) return { ds, output, project_id: entry.project_id };
    }
  }
  const shown = datasetPath.length > 200 ? `${datasetPath.slice(0, 200)}…` : datasetPath;
  throw new NotFoundError(
    `Processed dataset ${JSON.stringify(shown)} not found: dataset_path names one of your processed instruction datasets, by the output_path or task_id that POST /api/v1/datasets/process answered, or as <dataset id>/<output_name>`,
    { reason: 'not_found', details: { dataset_path: shown } },
  );
}

/** The registered model's name a relative `output_dir` stands for: its last segment (`./models/my_model` → `my_model`). */
export function modelNameOf(outputDir: string | undefined): string | undefined {
  const last = outputDir?.split(/[/\\]+/).filter((s) => s !== '' && s !== '.').at(-1);
  return last === undefined || last.length > 200 ? undefined : last;
}

/** Queues the fine-tune a seed 003 `POST /train` asks for, owned by the caller, and answers the seed's 202 body. */
export async function startSeed003Training(services: AppServices, res: Response, body: TrainInput) {
  const { ds, output, project_id } = await resolveDatasetPath(services, res, body.dataset_path);
  const { config, lora_config: lora } = body;
  const name = output.output_name;
  const modelName = modelNameOf(body.output_dir_sent);
  const job = await services.jobs.createFinetune({
    dataset_dir: `instructions/${ds.id}/processed/${name}`, dataset: [`${name}_train`],
    ...(output.splits.validation > 0 ? { eval_dataset: [`${name}_validation`] } : {}), dataset_id: ds.id,
    ...(body.base_model === undefined ? {} : { base_model: body.base_model }), ...(modelName === undefined ? {} : { model_name: modelName }),
    finetuning_type: 'lora', quantization_bit: config.quantization === 'int8' ? 8 : config.quantization === 'int4' ? 4 : null,
    learning_rate: config.learning_rate, per_device_train_batch_size: config.batch_size, num_train_epochs: config.num_epochs,
    lora_rank: lora.r, lora_alpha: lora.lora_alpha, lora_dropout: lora.lora_dropout,
  });
  await recordOwner(services, res, 'job', job.job_id, { project_id });
  await services.resources.update('job', job.job_id, { meta: { seed003: true, dataset_path: body.dataset_path, output_dir: config.output_dir } });
  return { task_id: job.job_id, status: 'started' as const, message: '训练任务已启动', created_at: job.created_at };
}

/** The fine-tune job a seed 003 `task_id` names (the access check already hid others'), else the seed's 404. */
export async function mustTrainingJob(services: AppServices, taskId: string): Promise<Job> {
  const job = await services.jobs.get(taskId).catch((error: unknown) => (isCoreError(error) && error.code === 'NOT_FOUND' ? undefined : Promise.reject(error)));
  if (job === undefined || job.kind !== 'llm-finetune') throw trainingNotFound();
  return job;
}

const latest = (...times: (string | undefined)[]) => times.filter((t): t is string => t !== undefined).sort().at(-1) ?? '';

/** Seed 003's training status of a fine-tune job: the state, real progress, the latest logged metrics and times. */
export async function seed003TrainingStatus(services: AppServices, job: Job) {
  const steps = await services.jobMetrics.listSteps(job.job_id);
  const meta = (await services.resources.get('job', job.job_id))?.meta ?? {};
  const error = job.error ?? job.completion_error;
  return {
    task_id: job.job_id, status: SEED003_TRAINING_STATUS[job.status], progress: finetuneProgress(job), metrics: latestStepMetrics(steps),
    started_at: job.started_at ?? null,
    updated_at: latest(job.created_at, job.queued_at, job.started_at, job.progress?.updated_at, steps.at(-1)?.recorded_at, job.stopped_at, job.finished_at),
    current_steps: job.progress?.current_steps ?? 0, total_steps: job.progress?.total_steps ?? null, remaining_time: job.progress?.remaining_time ?? null,
    base_model: job.llm?.base_model ?? null, finetuning_type: job.llm?.finetuning_type ?? null,
    output_dir: typeof meta.output_dir === 'string' ? meta.output_dir : null,
    ...(error === undefined ? {} : { error }), ...(job.model_id === undefined ? {} : { model_id: job.model_id }),
  };
}

/** Cancels a queued or running fine-tune (SIGINT first: the trainer saves a checkpoint); a finished one is a 409 naming its state. */
export async function cancelSeed003Training(services: AppServices, job: Job) {
  try {
    const stopped = await services.jobs.stop(job.job_id);
    return { task_id: job.job_id, status: 'canceled' as const, message: '训练任务已取消', canceled_at: stopped.stopped_at ?? stopped.finished_at ?? '' };
  } catch (error) {
    if (!(error instanceof InvalidStateError && error.reason === 'not_running')) throw error;
    const current = await services.jobs.get(job.job_id);
    const state = SEED003_TRAINING_STATUS[current.status];
    throw new CoreError('CONFLICT', `Training task ${job.job_id} is already ${state}${state === current.status ? '' : ` (job status ${current.status})`}: only a queued or running task can be canceled`, {
      reason: 'training_finished', details: { task_id: job.job_id, status: state },
    });
  }
}
