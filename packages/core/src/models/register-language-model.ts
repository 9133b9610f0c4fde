import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { NotFoundError, ValidationError } from '../errors.js';
import { readGguf } from '../generation/gguf/read-gguf.js';
import { blobRangeReader } from '../generation/gguf/range-reader.js';
import { summarizeGguf } from '../generation/gguf/summarize-gguf.js';
import type { LlmInfo } from '../generation/llm-info.schema.js';
import type { Clock } from '../platform/clock.port.js';
import { createId, RESOURCE_ID_PATTERN } from '../platform/ids.js';
import type { BlobStore } from '../storage/blob-store.port.js';
import type { ModelStore } from './model-store.port.js';
import type { Model, WeightsFile } from './model.schema.js';

/** One file of a language model: from a local path (a fine-tuning run's output), a blob key, or bytes. */
export interface LanguageModelFile {
  path?: string;
  key?: string;
  body?: Readable | Uint8Array;
  /** Name in the model's weights folder (default: the basename of `path` or `key`). */
  filename?: string;
}

/** `registerLanguageModel` input: the files plus what the registry records about them. */
export interface RegisterLanguageModelInput {
  /** At most one `.gguf` (checked before anything is kept); other files (adapter_config.json, safetensors) are kept as opaque `data`. */
  files: LanguageModelFile[];
  name?: string;
  description?: string;
  tags?: string[];
  /** A LoRA adapter GGUF needs it: the registered GGUF language model it applies on. */
  base_model_id?: string;
  /** Free text: what training started from (e.g. a Hugging Face id). */
  base_model?: string;
  job_id?: string;
  dataset_id?: string;
  training_config?: Record<string, unknown>;
  metrics?: Record<string, number>;
  /** Default: `trained` with a job_id, else `uploaded`. */
  source?: 'trained' | 'uploaded';
  source_file?: string;
  /** Id to keep (an upload's model.json `model_id`) when free. */
  preferredId?: string;
}

export interface LanguageModelDeps {
  models: ModelStore;
  blobs: BlobStore;
  clock: Clock;
  /** Ids being registered right now (shared with the ONNX registration). */
  claimed: Set<string>;
  dirOf: (modelId: string) => string;
}

const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function fileName(file: LanguageModelFile): string {
  const name = file.filename ?? (file.path !== undefined ? path.basename(file.path) : file.key !== undefined ? file.key.split('/').pop() : undefined);
  if (name === undefined || !FILE_NAME.test(name)) throw new ValidationError(`language model file "${name ?? '(unnamed)'}" must be a plain name of letters, digits, '.', '_' or '-'`, { reason: 'invalid_weights_name' });
  return name;
}

async function source(blobs: BlobStore, file: LanguageModelFile): Promise<Readable> {
  if (file.body !== undefined) return file.body instanceof Uint8Array ? Readable.from([file.body]) : file.body;
  if (file.key !== undefined) return blobs.read(file.key);
  if (file.path !== undefined) return createReadStream(file.path);
  throw new ValidationError('a language model file needs a path, a key or a body', { reason: 'invalid_weights' });
}

async function storeFile(blobs: BlobStore, key: string, body: Readable, format: WeightsFile['format'], file: string): Promise<WeightsFile> {
  const hash = createHash('sha256');
  const hashing = new Transform({ transform: (chunk: Buffer, _e, cb) => { hash.update(chunk); cb(null, chunk); } });
  body.on('error', (error) => hashing.destroy(error));
  const { size } = await blobs.write(key, body.pipe(hashing));
  return { file, format, size, sha256: hash.digest('hex') };
}

/** Reads and checks a stored GGUF (magic, header, metadata, tensor table inside the file). */
export async function checkStoredGguf(blobs: BlobStore, key: string, label: string): Promise<LlmInfo> {
  const reader = await blobs.open(key);
  try {
    const info = summarizeGguf(await readGguf(blobRangeReader(reader), label));
    if (info.tensor_count === 0) throw new ValidationError(`${label}: GGUF file holds no tensors`, { reason: 'invalid_gguf' });
    return info;
  } finally {
    await reader.close();
  }
}

async function checkBase(models: ModelStore, info: LlmInfo | undefined, baseId: string | undefined): Promise<void> {
  if (info?.kind === 'adapter') {
    if (info.adapter_type !== 'lora' && info.adapter_type !== 'alora') throw new ValidationError(`adapter GGUF has adapter.type ${JSON.stringify(info.adapter_type)}; llama.cpp applies lora adapters`, { reason: 'invalid_gguf' });
    if (baseId === undefined) throw new ValidationError('a LoRA adapter needs base_model_id: the registered GGUF model it applies on', { reason: 'base_model_required' });
  }
  if (baseId === undefined) return;
  const base = await models.get(baseId);
  if (!base) throw new NotFoundError(`base model ${baseId} is not registered`, { reason: 'base_model_missing', details: { base_model_id: baseId } });
  if (info?.kind === 'adapter') {
    if (base.llm_info?.kind !== 'model') throw new ValidationError(`base model ${baseId} is not a GGUF language model`, { reason: 'invalid_base_model' });
    if (info.architecture !== base.llm_info.architecture) {
      throw new ValidationError(`the adapter is for architecture ${info.architecture} but base model ${baseId} is ${base.llm_info.architecture}`, { reason: 'invalid_base_model' });
    }
  }
}

/**
 * Registers a language model or LoRA adapter: copies its files into the registry, checks the `.gguf`
 * (see `readGguf`) and its base (an adapter's `base_model_id` must be a registered GGUF model of the
 * same architecture), and records it with task `text-generation` and its `llm_info`. Nothing is kept
 * when a check fails.
 * @example await registerLanguageModel(deps, { files: [{ path: '/runs/j1/adapter.gguf' }], base_model_id: 'model_base', job_id: 'job_1' });
 */
export async function registerLanguageModel(deps: LanguageModelDeps, input: RegisterLanguageModelInput): Promise<Model> {
  const { models, blobs, clock, claimed } = deps;
  if (input.files.length === 0) throw new ValidationError('a language model needs at least one file', { reason: 'no_weights' });
  const names = input.files.map(fileName);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate) throw new ValidationError(`language model file "${duplicate}" is given twice`, { reason: 'duplicate_weights' });
  const ggufs = names.filter((n) => /\.gguf$/i.test(n));
  if (ggufs.length > 1) throw new ValidationError(`a language model holds one .gguf file (got ${ggufs.join(', ')}); register each as its own model`, { reason: 'multiple_gguf' });
  const { preferredId } = input;
  const keep = preferredId !== undefined && RESOURCE_ID_PATTERN.test(preferredId) && !claimed.has(preferredId) && !(await models.get(preferredId)) && !(await blobs.list(deps.dirOf(preferredId))).length;
  const modelId = keep && !claimed.has(preferredId) ? preferredId : createId('model', clock);
  const dir = deps.dirOf(modelId);
  claimed.add(modelId);
  try {
    const weights: WeightsFile[] = [];
    let info: LlmInfo | undefined;
    for (const [i, file] of input.files.entries()) {
      const name = names[i]!;
      const isGguf = /\.gguf$/i.test(name);
      weights.push(await storeFile(blobs, `${dir}/weights/${name}`, await source(blobs, file), isGguf ? 'gguf' : 'data', name));
      if (isGguf) info = await checkStoredGguf(blobs, `${dir}/weights/${name}`, name);
    }
    await checkBase(models, info, input.base_model_id);
    return await record(deps, { modelId, dir, weights, info, input });
  } catch (error) {
    await blobs.delete(dir);
    throw error;
  } finally {
    claimed.delete(modelId);
  }
}

async function record(deps: LanguageModelDeps, a: { modelId: string; dir: string; weights: WeightsFile[]; info: LlmInfo | undefined; input: RegisterLanguageModelInput }): Promise<Model> {
  const { files: _files, preferredId: _id, source: from, ...fields } = a.input;
  const main = a.weights.find((w) => w.format === 'gguf') ?? a.weights[0]!;
  const key = `${a.dir}/weights/${main.file}`;
  const fileSize = a.weights.reduce((sum, w) => sum + w.size, 0);
  const model: Model = {
    ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)),
    ...(fields.name === undefined && a.info?.name ? { name: a.info.name } : {}),
    model_id: a.modelId, task: 'text-generation', source: from ?? (fields.job_id ? 'trained' : 'uploaded'), classes: [],
    weights: a.weights, weights_path: deps.blobs.localPath?.(key) ?? key, file_size: fileSize, file_size_mb: Math.round((fileSize / 1048576) * 100) / 100,
    created_at: deps.clock.now().toISOString(), ...(a.info ? { llm_info: a.info } : {}),
  };
  await deps.models.create(model);
  return model;
}
