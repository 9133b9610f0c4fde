import { InvalidStateError, NotFoundError, UnsupportedError, ValidationError } from '../errors.js';
import type { DatasetStore } from '../datasets/dataset-store.port.js';
import type { Clock } from '../platform/clock.port.js';
import { createId } from '../platform/ids.js';
import { dataYamlKey, jobKeys, type LocalBlobStore } from './job-paths.js';
import { isTerminal } from './job-state.js';
import { CreateJobRequestSchema, type CreateJobRequest, type Job, type TrainerCommand } from './job.schema.js';

/** What the registry holds for a base model: the storage key of its PyTorch weights, if any, and the formats it has. */
export interface BaseModelWeights {
  /** Data-root key of the model's `.pt` (what Ultralytics fine-tunes from); undefined when it has none. */
  ptKey?: string;
  /** Weights formats the model has (`onnx`, `pt`, `data`). */
  formats: readonly string[];
}

/** Looks a registered model up for fine-tuning; undefined when there is no such model. */
export type ResolveModelWeights = (modelId: string) => Promise<BaseModelWeights | undefined>;

/** `resumed_from` of an attempt that starts again from the job's original weights (the attempt before left no last.pt). */
export const RESUMED_FROM_START = 'start';

/** What planning a job needs: datasets to check, the data root, time and the model registry lookup. */
export interface JobPlanDeps {
  datasets: DatasetStore;
  blobs: LocalBlobStore;
  clock: Clock;
  resolveModelWeights?: ResolveModelWeights | undefined;
}

/** Absolute path of a prepared dataset version's data.yaml; NOT_FOUND / INVALID_STATE with what to do otherwise. */
export async function requireDataYaml(deps: JobPlanDeps, datasetId: string, version: string): Promise<string> {
  const dataset = await deps.datasets.get(datasetId);
  if (!dataset) throw new NotFoundError(`Dataset ${datasetId} not found`, { reason: 'dataset_not_found', details: { dataset_id: datasetId } });
  if (dataset.status !== 'prepared') {
    throw new InvalidStateError(`Dataset ${datasetId} is not prepared (status "${dataset.status}"): prepare it before training`, {
      reason: 'dataset_not_prepared', details: { dataset_id: datasetId },
    });
  }
  if (!dataset.versions.includes(version)) {
    throw new NotFoundError(`Dataset ${datasetId} has no version ${version} (it has ${dataset.versions.join(', ') || 'none'})`, {
      reason: 'version_not_found', details: { dataset_id: datasetId, version },
    });
  }
  const key = dataYamlKey(datasetId, version);
  if (!(await deps.blobs.stat(key))) {
    throw new NotFoundError(`data.yaml of dataset ${datasetId} ${version} is missing (${key}): prepare the dataset again`, {
      reason: 'data_yaml_missing', details: { dataset_id: datasetId, version },
    });
  }
  return deps.blobs.localPath(key);
}

/** The base model's `.pt` key: 404 when the model does not exist, 409 when it has no PyTorch weights to train from. */
async function resolveBaseModel(deps: JobPlanDeps, baseModelId: string): Promise<string> {
  if (!deps.resolveModelWeights) {
    throw new UnsupportedError('fine-tuning needs the model registry, which this server has not configured (resolveModelWeights)', { reason: 'no_model_registry' });
  }
  const found = await deps.resolveModelWeights(baseModelId);
  if (found === undefined) {
    throw new NotFoundError(`Base model ${baseModelId} not found`, { reason: 'base_model_not_found', details: { base_model_id: baseModelId } });
  }
  if (found.ptKey === undefined) {
    throw new InvalidStateError(
      `Base model ${baseModelId} has no PyTorch weights (.pt), only ${found.formats.filter((f) => f !== 'data').join(', ') || 'none'}: ` +
        'Ultralytics fine-tunes from .pt weights, not from ONNX. Upload the model again with its best.pt in weights/ (models trained here carry it)',
      { reason: 'base_model_not_trainable', details: { base_model_id: baseModelId, formats: [...found.formats] } },
    );
  }
  return found.ptKey;
}

type JobStart = Pick<Job, 'dataset_id' | 'version' | 'model_name' | 'base_model_id' | 'original_model_path' | 'epochs' | 'imgsz' | 'batch'>;

function newJob(deps: JobPlanDeps, start: JobStart, extra: Partial<Job>): Job {
  const jobId = createId('job', deps.clock);
  const keys = jobKeys(jobId);
  const now = deps.clock.now().toISOString();
  return {
    job_id: jobId, ...start, status: 'queued', created_at: now, queued_at: now,
    log_file: deps.blobs.localPath(keys.log), run_dir: deps.blobs.localPath(keys.run), attempt: 1, command: [], ...extra,
  };
}

/** Validates a create request (defaults of the origin) and builds the queued job; the dataset must be prepared. */
export async function planNewJob(deps: JobPlanDeps, input: CreateJobRequest, trainerCommand?: TrainerCommand): Promise<Job> {
  const parsed = CreateJobRequestSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ValidationError(`invalid training job: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`, { reason: 'invalid_job_request' });
  }
  const request = parsed.data;
  await requireDataYaml(deps, request.dataset_id, request.version);
  const { base_model_id: baseModelId } = request;
  const extra = trainerCommand === undefined ? {} : { trainer_command: trainerCommand };
  if (baseModelId === null) return newJob(deps, { ...request, base_model_id: null, original_model_path: request.model_name }, extra);
  // Fine-tune: the base weights are copied into the job's folder, so deleting or replacing the base model
  // cannot break the job, nor a later start again from them (resume without a checkpoint).
  const ptKey = await resolveBaseModel(deps, baseModelId);
  const job = newJob(deps, { ...request, model_name: `${baseModelId}_fine_tuned`, original_model_path: '' }, extra);
  const startKey = `${jobKeys(job.job_id).dir}/start_base.pt`;
  await deps.blobs.write(startKey, await deps.blobs.read(ptKey));
  return { ...job, original_model_path: deps.blobs.localPath(startKey) };
}

/**
 * Builds the child job that trains a finished job for `extraEpochs` more: it starts from a copy of the
 * parent's last.pt (or best.pt) in its own folder, so the parent may be resumed or deleted meanwhile.
 */
export async function planChildJob(deps: JobPlanDeps, parent: Job, extraEpochs: number): Promise<Job> {
  if (!Number.isInteger(extraEpochs) || extraEpochs < 1 || extraEpochs > 100_000) {
    throw new ValidationError(`extra epochs must be an integer 1–100000 (got ${String(extraEpochs)})`, { reason: 'invalid_epochs' });
  }
  if (!isTerminal(parent.status)) {
    throw new InvalidStateError(`Job ${parent.job_id} is ${parent.status}: extend it once it has finished`, { reason: 'not_finished', details: { status: parent.status } });
  }
  await requireDataYaml(deps, parent.dataset_id, parent.version);
  const keys = jobKeys(parent.job_id);
  const source = (await deps.blobs.stat(keys.lastPt)) ? keys.lastPt : (await deps.blobs.stat(keys.bestPt)) ? keys.bestPt : undefined;
  if (source === undefined) {
    throw new InvalidStateError(`Job ${parent.job_id} has no weights to extend from (no last.pt or best.pt in ${parent.run_dir}/weights)`, { reason: 'no_checkpoint' });
  }
  const { dataset_id, version, model_name, base_model_id, imgsz, batch } = parent;
  const start: JobStart = { dataset_id, version, model_name, base_model_id, imgsz, batch, epochs: extraEpochs, original_model_path: '' };
  const child = newJob(deps, start, {
    parent_job_id: parent.job_id,
    epoch_offset: (parent.epoch_offset ?? 0) + parent.epochs,
    ...(parent.trainer_command ? { trainer_command: parent.trainer_command } : {}),
  });
  const startKey = `${jobKeys(child.job_id).dir}/start_${source.endsWith('last.pt') ? 'last' : 'best'}.pt`;
  await deps.blobs.write(startKey, await deps.blobs.read(source));
  return { ...child, original_model_path: deps.blobs.localPath(startKey) };
}
