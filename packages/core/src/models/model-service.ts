import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { NotFoundError, ValidationError } from '../errors.js';
import type { Clock } from '../platform/clock.port.js';
import { createId } from '../platform/ids.js';
import type { BlobStore } from '../storage/blob-store.port.js';
import type { ModelStore } from './model-store.port.js';
import type { Model, WeightsFile } from './model.schema.js';

export interface ModelServiceDeps {
  models: ModelStore;
  blobs: BlobStore;
  clock: Clock;
}

export interface WeightsInput {
  filename: string;
  body: Readable | Uint8Array;
}

export type RegisterModelInput = Omit<Model, 'model_id' | 'weights' | 'weights_path' | 'file_size' | 'file_size_mb' | 'created_at'> & {
  weights: WeightsInput[];
};

const WEIGHTS_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}\.(onnx|pt)$/;
export const modelKey = (modelId: string) => `models/${modelId}`;

/** Checks a weights file name: a plain `.onnx` or `.pt` basename. */
export function checkWeightsName(filename: string): 'onnx' | 'pt' {
  const match = WEIGHTS_NAME.exec(filename);
  if (!match) throw new ValidationError(`weights file "${filename}" must be a plain name ending in .onnx or .pt`, { reason: 'invalid_weights_name' });
  return match[1] as 'onnx' | 'pt';
}

async function storeWeights(blobs: BlobStore, dir: string, input: WeightsInput): Promise<WeightsFile> {
  const format = checkWeightsName(input.filename);
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

  async function mustGet(modelId: string): Promise<Model> {
    const model = await models.get(modelId);
    if (!model) throw new NotFoundError('Model not found', { details: { model_id: modelId } });
    return model;
  }

  return {
    async register(input: RegisterModelInput): Promise<Model> {
      if (input.weights.length === 0) throw new ValidationError('a model needs at least one weights file (.onnx or .pt)', { reason: 'no_weights' });
      const modelId = createId('model', clock);
      const dir = modelKey(modelId);
      try {
        const weights: WeightsFile[] = [];
        for (const w of input.weights) weights.push(await storeWeights(blobs, dir, w));
        const main = weights.find((w) => w.format === 'onnx') ?? weights[0]!;
        const key = `${dir}/weights/${main.file}`;
        const fileSize = weights.reduce((sum, w) => sum + w.size, 0);
        const model: Model = {
          ...input, model_id: modelId, weights, weights_path: blobs.localPath?.(key) ?? key,
          file_size: fileSize, file_size_mb: Math.round((fileSize / 1048576) * 100) / 100, created_at: clock.now().toISOString(),
        };
        await models.create(model);
        return model;
      } catch (error) {
        await blobs.delete(dir);
        throw error;
      }
    },
    list: () => models.list(),
    get: mustGet,
    async update(modelId: string, patch: { name?: string | null; description?: string | null; tags?: string[] | null }) {
      await mustGet(modelId);
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
      await blobs.delete(modelKey(modelId));
    },
    findByJob: (jobId: string) => models.findByJob(jobId),
    /** Storage key of one of a model's weights files. */
    weightsKey: (model: Model, file = model.weights.find((w) => w.format === 'onnx')?.file ?? model.weights[0]?.file ?? '') =>
      `${modelKey(model.model_id)}/weights/${file}`,
  };
}

export type ModelService = ReturnType<typeof createModelService>;
