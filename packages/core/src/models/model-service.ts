import { createHash, randomUUID } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { NotFoundError, ValidationError } from '../errors.js';
import type { Clock } from '../platform/clock.port.js';
import { createId } from '../platform/ids.js';
import type { BlobStore } from '../storage/blob-store.port.js';
import type { ModelStore } from './model-store.port.js';
import type { Model, ModelInfo, WeightsFile } from './model.schema.js';
import { externalDataFiles } from '../inference/onnx/check-onnx-model.js';
import { readOnnxModelInfo } from '../inference/onnx/read-onnx-model-info.js';
import type { OutputShapeProbe } from '../inference/output-shape-probe.port.js';
import { resolveDetectionModel } from '../inference/resolve-detection-model.js';
import { parseNamesLiteral } from '../inference/onnx/python-literal.js';
import { RESOURCE_ID_PATTERN } from '../platform/ids.js';
import type { BlobReader } from '../storage/blob-store.port.js';
import type { ZipLimits } from '../datasets/zip/zip-limits.js';
import { exportModelZip, readModelZip } from './model-zip.js';
import { cleanFilename, storeZipUpload } from '../datasets/upload-dataset.js';
import { registerLanguageModel, type RegisterLanguageModelInput } from './register-language-model.js';
import { resolveTextModel, type ResolveTextModelOptions } from './resolve-text-model.js';

/** Class names an Ultralytics export carries in its metadata (`{0: 'person', …}`), else none. */
function namesFromMetadata(metadata: Record<string, string>): string[] {
  const text = metadata.names;
  if (text === undefined) return [];
  try {
    return parseNamesLiteral(text) ?? [];
  } catch {
    return [];
  }
}

export interface ModelServiceDeps {
  models: ModelStore;
  blobs: BlobStore;
  clock: Clock;
  /** Caps of model ZIP uploads (default: 20 GiB, the dataset ZIP limits). */
  limits?: { maxUploadBytes?: number; zip?: Partial<ZipLimits> };
  /** Called after a model's weights change or the model is deleted (inference drops its cached session). */
  onModelChanged?: (modelId: string) => void;
  /**
   * Runs an `.onnx` whose output shape is undeclared once on zeros to read its layout (the node platform's
   * `createOnnxOutputProbe`); without it such a model is refused as unsupported.
   */
  probe?: OutputShapeProbe;
}

export interface WeightsInput {
  filename: string;
  body: Readable | Uint8Array;
}

export type RegisterModelInput = Omit<Model, 'model_id' | 'weights' | 'weights_path' | 'file_size' | 'file_size_mb' | 'created_at' | 'model_info'> & {
  weights: WeightsInput[];
  /** Id to keep (an upload's model.json `model_id`) when no model has it; otherwise a new id is made. */
  preferredId?: string;
};

const WEIGHTS_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const WEIGHTS_EXT = /\.(onnx|pt)$/;
/** Largest ONNX file read whole for checking (protobuf caps a single message at 2 GiB anyway). */
const MAX_ONNX_BYTES = 2 ** 31 - 1;
export const modelKey = (modelId: string) => `models/${modelId}`;

/** Checks a weights file name: a plain basename; `.onnx`/`.pt` are weights, anything else is an ONNX's external data. */
export function checkWeightsName(filename: string, allowData = false): WeightsFile['format'] {
  const ext = WEIGHTS_EXT.exec(filename)?.[1] as 'onnx' | 'pt' | undefined;
  if (!WEIGHTS_NAME.test(filename) || (!ext && !allowData)) {
    throw new ValidationError(`weights file "${filename}" must be a plain name ending in .onnx or .pt`, { reason: 'invalid_weights_name' });
  }
  return ext ?? 'data';
}

interface OnnxWeightsCheck {
  blobs: BlobStore;
  dir: string;
  weights: readonly WeightsFile[];
  classes: readonly string[];
  /** The class list must match the ONNX's class count (uploads). */
  strictClasses: boolean;
  probe: OutputShapeProbe | undefined;
}

/**
 * Checks every stored `.onnx` (parses, supported layout — from one probe run when its output shape is
 * undeclared — external data only beside it and present) and describes the first.
 */
async function checkOnnxWeights({ blobs, dir, weights, classes, strictClasses, probe }: OnnxWeightsCheck): Promise<ModelInfo | undefined> {
  let first: ModelInfo | undefined;
  const present = new Set(weights.map((w) => w.file));
  const named = new Set<string>();
  for (const w of weights.filter((x) => x.format === 'onnx')) {
    if (w.size > MAX_ONNX_BYTES) throw new ValidationError(`${w.file} is ${w.size} bytes; ONNX files over 2 GiB must keep their weights as external data`, { reason: 'invalid_onnx' });
    const key = `${dir}/weights/${w.file}`;
    const bytes = await blobs.readBytes(key);
    const info = readOnnxModelInfo(bytes);
    for (const location of externalDataFiles(info)) {
      if (location.includes('/')) {
        throw new ValidationError(`${w.file} keeps external data in a subfolder ("${location}"); only files beside the model are supported`, { reason: 'onnx_external_data_outside', details: { location } });
      }
      if (!present.has(location)) {
        throw new ValidationError(`${w.file} needs its external data file "${location}" beside it in the weights folder`, { reason: 'onnx_external_data_missing', details: { location } });
      }
      named.add(location);
    }
    // A probe loads the stored file, external data beside it; from bytes (no local file) only without external data.
    const local = blobs.localPath?.(key);
    const canProbe = local !== undefined || info.externalDataLocations.length === 0;
    const { spec } = await resolveDetectionModel(info, { classes, probe: canProbe ? probe : undefined, model: local ?? bytes, label: w.file });
    if (strictClasses && classes.length > 0 && spec.layout !== 'end2end' && classes.length !== spec.numClasses) {
      throw new ValidationError(`the model lists ${classes.length} classes but ${w.file} outputs scores for ${spec.numClasses}`, { reason: 'class_count_mismatch', details: { classes: classes.length, outputs: spec.numClasses } });
    }
    first ??= {
      format: 'onnx', task: info.metadata.task ?? 'detect', layout: spec.layout, input_size: [spec.inputHeight, spec.inputWidth], batch: spec.batch,
      num_classes: spec.numClasses, total_params: info.totalParams, total_params_m: Math.round(info.totalParams / 1e4) / 100,
      opset: info.opsetVersion, producer: [info.producerName, info.producerVersion].filter(Boolean).join(' '), metadata: info.metadata,
    };
  }
  const stray = weights.find((w) => w.format === 'data' && !named.has(w.file));
  if (stray) throw new ValidationError(`weights file "${stray.file}" must be a plain name ending in .onnx or .pt`, { reason: 'invalid_weights_name' });
  return first;
}

async function storeWeights(blobs: BlobStore, dir: string, input: WeightsInput): Promise<WeightsFile> {
  const format = checkWeightsName(input.filename, true);
  const hash = createHash('sha256');
  const body = input.body instanceof Uint8Array ? Readable.from([input.body]) : input.body;
  const hashing = new Transform({
    transform(chunk: Buffer, _e, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  body.on('error', (error) => hashing.destroy(error));
  const { size } = await blobs.write(`${dir}/weights/${input.filename}`, body.pipe(hashing));
  return { file: input.filename, format, size, sha256: hash.digest('hex') };
}

/**
 * Model registry use cases: register weights (from a training job or an upload), list, read, edit, delete.
 * `.pt` files are stored as opaque bytes and never loaded.
 * @example const model = await service.register({ task: 'detect', source: 'trained', classes, job_id, weights: [{ filename: 'best.onnx', body }] });
 */
export function createModelService(deps: ModelServiceDeps) {
  const { models, blobs, clock } = deps;
  const changed = (modelId: string) => deps.onModelChanged?.(modelId);
  const claimed = new Set<string>();

  async function mustGet(modelId: string): Promise<Model> {
    const model = await models.get(modelId);
    if (!model) throw new NotFoundError('Model not found', { details: { model_id: modelId } });
    return model;
  }

  async function register(input: RegisterModelInput): Promise<Model> {
    const { preferredId, weights: inputs, ...fields } = input;
    const names = new Set<string>();
    for (const w of inputs) {
      checkWeightsName(w.filename, inputs.some((x) => x.filename.endsWith('.onnx')));
      if (names.has(w.filename)) throw new ValidationError(`weights file "${w.filename}" is given twice`, { reason: 'duplicate_weights' });
      names.add(w.filename);
    }
    if (!inputs.some((w) => WEIGHTS_EXT.test(w.filename))) throw new ValidationError('a model needs at least one weights file (.onnx or .pt)', { reason: 'no_weights' });
    const keep = preferredId !== undefined && RESOURCE_ID_PATTERN.test(preferredId) && !claimed.has(preferredId) &&
      !(await models.get(preferredId)) && !(await blobs.list(modelKey(preferredId))).length && !claimed.has(preferredId);
    const modelId = keep ? preferredId : createId('model', clock);
    const dir = modelKey(modelId);
    // Claimed until registered or failed: a concurrent upload naming the same id gets a new one, so a
    // failure here can never delete another registration's files.
    claimed.add(modelId);
    try {
      const weights: WeightsFile[] = [];
      for (const w of inputs) weights.push(await storeWeights(blobs, dir, w));
      // An upload's class list must fit its ONNX; a trained model's come from its dataset and the trainer made them fit.
      const modelInfo = await checkOnnxWeights({ blobs, dir, weights, classes: fields.classes, strictClasses: fields.source === 'uploaded', probe: deps.probe });
      const main = weights.find((w) => w.format === 'onnx') ?? weights.find((w) => w.format === 'pt')!;
      const key = `${dir}/weights/${main.file}`;
      const fileSize = weights.reduce((sum, w) => sum + w.size, 0);
      const classes = fields.classes.length > 0 || !modelInfo ? fields.classes : namesFromMetadata(modelInfo.metadata);
      // Without an imgsz in model.json, the ONNX input says it (Ultralytics' imgsz is the long side).
      const imgsz = fields.imgsz ?? (modelInfo ? Math.max(...modelInfo.input_size) : undefined);
      const model: Model = {
        ...fields, classes, ...(imgsz === undefined ? {} : { imgsz }), ...(modelInfo ? { model_info: modelInfo } : {}), model_id: modelId, weights, weights_path: blobs.localPath?.(key) ?? key,
        file_size: fileSize, file_size_mb: Math.round((fileSize / 1048576) * 100) / 100, created_at: clock.now().toISOString(),
      };
      await models.create(model);
      return model;
    } catch (error) {
      await blobs.delete(dir);
      throw error;
    } finally {
      claimed.delete(modelId);
    }
  }

  // The store counts a use atomically, so concurrent generations (on any server) never lose an increment.
  const recordUse = (modelId: string, at: Date): Promise<Model | undefined> => models.recordUse(modelId, at.toISOString());

  const languageModel = (input: RegisterLanguageModelInput) => registerLanguageModel({ models, blobs, clock, claimed, dirOf: modelKey }, input);

  async function importZip(reader: BlobReader, options: { zipName: string; limits?: Partial<ZipLimits> }): Promise<Model> {

    const contents = await readModelZip(reader, options.limits);
    try {
      const baseName = options.zipName.replace(/\.zip$/i, '');
      const meta = contents.meta;
      if (contents.weights.some((w) => /\.gguf$/i.test(w.filename))) {
        const files = [];
        for (const w of contents.weights) files.push({ filename: w.filename, body: await contents.read(w.entry) });
        const { task: _task, classes: _classes, imgsz: _imgsz, epochs: _epochs, ...fields } = meta;
        return await languageModel({
          ...(meta.name === undefined && contents.requestedId === undefined ? { name: baseName, description: `Uploaded model from ${options.zipName}`, tags: ['uploaded'] } : {}),
          ...fields, files, source: 'uploaded', source_file: options.zipName, ...(contents.requestedId ? { preferredId: contents.requestedId } : {}),
        });
      }
      const weights: WeightsInput[] = [];
      for (const w of contents.weights) weights.push({ filename: w.filename, body: await contents.read(w.entry) });
      return await register({
        ...(meta.name === undefined && contents.requestedId === undefined ? { name: baseName, description: `Uploaded model from ${options.zipName}`, tags: ['uploaded'] } : {}),
        ...meta,
        task: meta.task ?? 'detect', classes: meta.classes ?? [], source: 'uploaded', source_file: options.zipName,
        ...(contents.requestedId ? { preferredId: contents.requestedId } : {}),
        weights,
      });
    } finally {
      await contents.close();
    }
  }

  return {
    register,
    /**
     * Registers a GGUF language model or LoRA adapter (a fine-tuning run's output, an upload): files
     * copied into the registry, the `.gguf` checked before anything is kept (see `registerLanguageModel`).
     */
    registerLanguageModel: languageModel,
    /** A language model by id, seed 002 number or registry path (none: the newest trained one) as a TextModelRef; an adapter brings its base. */
    resolveTextModel: (ref?: string | number, options?: ResolveTextModelOptions) => resolveTextModel({ models, blobs, dirOf: modelKey }, ref, options),
    list: () => models.list(),
    get: mustGet,
    /** Counts one generation with a language model (`usage_count` + 1, `last_used` = `at`); a deleted model is left alone (undefined). */
    recordUse,
    async update(modelId: string, patch: { name?: string | null; description?: string | null; tags?: string[] | null }) {
      await mustGet(modelId);
      changed(modelId);
      return models.update(modelId, {
        ...(patch.name != null ? { name: patch.name } : {}),
        ...(patch.description != null ? { description: patch.description } : {}),
        ...(patch.tags != null ? { tags: patch.tags } : {}),
        updated_at: clock.now().toISOString(),
      });
    },
    async delete(modelId: string): Promise<void> {
      await mustGet(modelId);
      await models.delete(modelId);
      changed(modelId);
      await blobs.delete(modelKey(modelId));
    },
    findByJob: (jobId: string) => models.findByJob(jobId),
    /**
     * Registers an uploaded model ZIP (either origin layout, see `readModelZip`); model.json's `model_id`
     * is kept unless taken. `.onnx` weights are checked before anything is kept; `.pt` files are opaque.
     */
    importZip,
    /**
     * `POST /models/upload`: streams the ZIP to a scratch file (size-capped), checks it with the hardened
     * reader and registers it (`importZip`); the scratch file is always removed.
     */
    async upload(input: { filename: string; body: Readable }): Promise<Model> {
      const filename = cleanFilename(input.filename);
      if (!/\.zip$/i.test(filename)) {
        input.body.resume();
        throw new ValidationError(`Only .zip files are allowed (got "${filename}")`, { reason: 'not_zip' });
      }
      const key = `tmp/model-uploads/${randomUUID()}.zip`;
      try {
        await storeZipUpload(blobs, key, input.body, { maxBytes: deps.limits?.maxUploadBytes ?? 20 * 1024 ** 3, zip: deps.limits?.zip ?? {}, label: `upload "${filename}"` });
        const reader = await blobs.open(key);
        try {
          return await importZip(reader, { zipName: filename, limits: deps.limits?.zip });
        } finally {
          await reader.close();
        }
      } finally {
        await blobs.delete(key);
      }
    },
    /** The model as the origin's export ZIP (`<model_id>/model.json`, `<model_id>/weights/*`). */
    async exportZip(modelId: string) {
      const model = await mustGet(modelId);
      return { filename: `${model.model_id}.zip`, stream: exportModelZip(blobs, model, (file) => `${modelKey(model.model_id)}/weights/${file}`) };
    },
    /** Storage key of one of a model's weights files. */
    weightsKey: (model: Model, file = model.weights.find((w) => w.format === 'onnx')?.file ?? model.weights[0]?.file ?? '') =>
      `${modelKey(model.model_id)}/weights/${file}`,
  };
}

export type ModelService = ReturnType<typeof createModelService>;
