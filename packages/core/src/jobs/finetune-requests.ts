import { InvalidStateError, NotFoundError, TooLargeError, UnsupportedError, ValidationError } from '../errors.js';
import type { Clock } from '../platform/clock.port.js';
import { createId } from '../platform/ids.js';
import type { BaseModelCatalog } from './base-model-catalog.js';
import { CreateFinetuneJobRequestSchema, type CreateFinetuneJobRequest, type LlmFinetune } from './finetune.schema.js';
import { jobKeys, type LocalBlobStore } from './job-paths.js';
import type { Job, TrainerCommand } from './job.schema.js';
import { RESUMED_FROM_START } from './job-requests.js';

/** What planning a fine-tune needs: the data root, time and the base-model catalog. */
export interface FinetunePlanDeps {
  blobs: LocalBlobStore;
  clock: Clock;
  baseModels?: BaseModelCatalog | undefined;
}

const MAX_DATASET_INFO_BYTES = 1024 * 1024;
const TRAIN_NAME = /(?:^|[_-])train$/;
const EVAL_NAME = /(?:^|[_-])(?:validation|val|eval|dev)$/;
const SAFE_FILE = /^(?!.*(?:^|\/)\.{1,2}(?:\/|$))[^/\\\u0000][^\\\u0000]{0,511}$/;

/** The entries of `<dir>/dataset_info.json`: name → its (checked) file name inside the folder. */
async function readDatasetInfo(blobs: LocalBlobStore, dir: string): Promise<Map<string, string>> {
  const key = `${dir}/dataset_info.json`;
  const info = await blobs.stat(key);
  if (info === undefined) {
    throw new NotFoundError(`the processed dataset folder ${dir} has no dataset_info.json: process the instruction dataset first`, {
      reason: 'dataset_info_missing', details: { dataset_dir: dir },
    });
  }
  if (info.size > MAX_DATASET_INFO_BYTES) throw new TooLargeError(`${key} is ${info.size} bytes (at most ${MAX_DATASET_INFO_BYTES})`, { reason: 'dataset_info_too_large' });
  let value: unknown;
  try {
    value = JSON.parse((await blobs.readBytes(key)).toString('utf8'));
  } catch (error) {
    throw new ValidationError(`${key} is not valid JSON: ${(error as Error).message}`, { reason: 'invalid_dataset_info' });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ValidationError(`${key} must be an object of dataset name → {file_name}`, { reason: 'invalid_dataset_info' });
  const entries = new Map<string, string>();
  for (const [name, entry] of Object.entries(value)) {
    const file = (entry as { file_name?: unknown } | null)?.file_name;
    if (typeof file !== 'string' || !SAFE_FILE.test(file)) {
      throw new ValidationError(`${key}: dataset "${name.slice(0, 64)}" needs a file_name inside the folder (no "..", not absolute)`, { reason: 'invalid_dataset_info' });
    }
    entries.set(name, file);
  }
  return entries;
}

function pickNames(entries: Map<string, string>, asked: readonly string[] | undefined, role: 'train' | 'eval', dir: string): string[] | undefined {
  const names = [...entries.keys()];
  if (asked !== undefined) {
    const missing = asked.filter((name) => !entries.has(name));
    if (missing.length > 0) {
      throw new NotFoundError(`dataset ${missing.join(', ')} is not in ${dir}/dataset_info.json (it has ${names.join(', ') || 'none'})`, { reason: 'dataset_name_not_found' });
    }
    return [...asked];
  }
  const matching = names.filter((name) => (role === 'train' ? TRAIN_NAME : EVAL_NAME).test(name));
  if (matching.length === 1) return matching;
  if (role === 'eval') return undefined;
  if (names.length === 1) return names;
  throw new ValidationError(`say which datasets of ${dir}/dataset_info.json to train on (dataset: [...]); it has ${names.join(', ') || 'none'}`, { reason: 'dataset_name_ambiguous' });
}

async function requireFiles(blobs: LocalBlobStore, dir: string, entries: Map<string, string>, names: readonly string[]): Promise<void> {
  for (const name of names) {
    const key = `${dir}/${entries.get(name) ?? ''}`;
    if ((await blobs.stat(key)) === undefined && (await blobs.list(key)).length === 0) {
      throw new NotFoundError(`dataset ${name}: ${key} named by dataset_info.json does not exist: process the dataset again`, { reason: 'dataset_file_missing' });
    }
  }
}

/** The request's datasets, resolved against the folder's dataset_info.json. */
export async function resolveFinetuneDataset(blobs: LocalBlobStore, dir: string, asked: { dataset?: readonly string[]; eval_dataset?: readonly string[] }) {
  const entries = await readDatasetInfo(blobs, dir);
  const dataset = pickNames(entries, asked.dataset, 'train', dir) ?? [];
  const evalDataset = pickNames(entries, asked.eval_dataset, 'eval', dir)?.filter((name) => !dataset.includes(name));
  await requireFiles(blobs, dir, entries, [...dataset, ...(evalDataset ?? [])]);
  return { dataset, ...(evalDataset?.length ? { eval_dataset: evalDataset } : {}) };
}

function quantization(type: LlmFinetune['finetuning_type'], bit: 4 | 8 | null | undefined): Pick<LlmFinetune, 'finetuning_type' | 'quantization_bit'> {
  if (type === 'full' && bit != null) {
    throw new ValidationError('quantization_bit needs finetuning_type lora or qlora: a full fine-tune cannot train a quantized model', { reason: 'invalid_quantization' });
  }
  if (type === 'qlora') return { finetuning_type: 'qlora', quantization_bit: bit ?? 4 };
  // LoRA on a quantized base is QLoRA (seed 003's `config.quantization` int4/int8 with a lora_config).
  return bit == null ? { finetuning_type: type, quantization_bit: null } : { finetuning_type: 'qlora', quantization_bit: bit };
}

/** Validates a fine-tune request (seed 003 defaults), resolves base model and datasets, and builds the queued job. */
export async function planFinetuneJob(deps: FinetunePlanDeps, input: CreateFinetuneJobRequest, trainerCommand?: TrainerCommand): Promise<Job> {
  const parsed = CreateFinetuneJobRequestSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ValidationError(`invalid fine-tune job: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`, { reason: 'invalid_job_request' });
  }
  const r = parsed.data;
  if (deps.baseModels === undefined) {
    throw new UnsupportedError('fine-tuning needs a base-model catalog, which this server has not configured (baseModels)', { reason: 'no_base_model_catalog' });
  }
  const base = deps.baseModels.resolve(r.base_model);
  const { finetuning_type, quantization_bit } = quantization(r.finetuning_type, r.quantization_bit);
  const llm: LlmFinetune = {
    base_model: base.id, model_name_or_path: base.model_name_or_path, template: r.template ?? base.template, finetuning_type, quantization_bit,
    lora_rank: r.lora_rank, lora_alpha: r.lora_alpha, lora_dropout: r.lora_dropout, lora_target: r.lora_target,
    learning_rate: r.learning_rate, per_device_train_batch_size: r.per_device_train_batch_size, gradient_accumulation_steps: r.gradient_accumulation_steps,
    num_train_epochs: r.num_train_epochs, cutoff_len: r.cutoff_len, logging_steps: r.logging_steps, save_steps: r.save_steps,
    dataset_dir: deps.blobs.localPath(r.dataset_dir),
    ...(await resolveFinetuneDataset(deps.blobs, r.dataset_dir, { ...(r.dataset ? { dataset: r.dataset } : {}), ...(r.eval_dataset ? { eval_dataset: r.eval_dataset } : {}) })),
  };
  const jobId = createId('job', deps.clock);
  const keys = jobKeys(jobId);
  const now = deps.clock.now().toISOString();
  return {
    job_id: jobId, kind: 'llm-finetune', llm, dataset_id: r.dataset_id ?? '', version: '', model_name: r.model_name ?? `${base.id}-${finetuning_type}`,
    base_model_id: null, original_model_path: base.model_name_or_path, epochs: r.num_train_epochs, imgsz: 0, batch: r.per_device_train_batch_size,
    status: 'queued', created_at: now, queued_at: now, log_file: deps.blobs.localPath(keys.log), run_dir: deps.blobs.localPath(keys.run), attempt: 1, command: [],
    ...(trainerCommand === undefined ? {} : { trainer_command: trainerCommand }),
    ...(r.worker_labels === undefined ? {} : { worker_labels: r.worker_labels }),
  };
}

/** The newest `checkpoint-N` folder of a run (a data-root key), or undefined when the run saved none. */
export async function newestCheckpoint(blobs: LocalBlobStore, runKey: string): Promise<string | undefined> {
  let best: { step: number; key: string } | undefined;
  for (const key of await blobs.list(runKey)) {
    const match = /^\/(checkpoint-(\d+))\//.exec(key.slice(runKey.length));
    const step = Number(match?.[2]);
    if (match?.[1] && (best === undefined || step > best.step)) best = { step, key: `${runKey}/${match[1]}` };
  }
  return best?.key;
}

/** What a fine-tune resume continues from: the newest checkpoint folder, else the start (`RESUMED_FROM_START`). */
export async function finetuneResumePoint(blobs: LocalBlobStore, job: Job): Promise<string> {
  if (job.llm === undefined) throw new InvalidStateError(`job ${job.job_id} has no fine-tune configuration`, { reason: 'not_a_finetune' });
  const checkpoint = await newestCheckpoint(blobs, jobKeys(job.job_id).run);
  return checkpoint === undefined ? RESUMED_FROM_START : blobs.localPath(checkpoint);
}
