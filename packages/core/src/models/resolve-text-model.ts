import path from 'node:path';
import { NotFoundError, UnsupportedError, ValidationError } from '../errors.js';
import type { TextModelRef } from '../generation/text-generator.port.js';
import type { BlobStore } from '../storage/blob-store.port.js';
import type { ModelStore } from './model-store.port.js';
import type { Model } from './model.schema.js';

export interface ResolveTextModelDeps {
  models: ModelStore;
  blobs: BlobStore;
  dirOf: (modelId: string) => string;
}

export interface ResolveTextModelOptions {
  /** Maps a seed 002 model number to a model id (the resource index); without it numbers are not found. */
  byNumber?: (modelNumber: number) => Promise<string | undefined>;
}

const isLanguageModel = (m: Model) => m.task === 'text-generation';

/** The local path of a model's GGUF file; a model without one (e.g. a PEFT adapter in safetensors) cannot generate. */
function ggufPath(deps: ResolveTextModelDeps, model: Model): string {
  const gguf = model.weights.find((w) => w.format === 'gguf');
  if (!gguf || !model.llm_info) {
    throw new ValidationError(`model ${model.model_id} has no GGUF weights; llama.cpp needs a .gguf file (convert it with llama.cpp's convert_hf_to_gguf.py or convert_lora_to_gguf.py)`, { reason: 'no_gguf' });
  }
  const local = deps.blobs.localPath?.(`${deps.dirOf(model.model_id)}/weights/${gguf.file}`);
  if (local === undefined) throw new UnsupportedError('embedded generation needs models on local storage', { reason: 'no_local_path' });
  return local;
}

async function find(deps: ResolveTextModelDeps, ref: string | number | undefined, options: ResolveTextModelOptions): Promise<Model> {
  const all = async () => (await deps.models.list()).filter(isLanguageModel);
  if (ref === undefined || ref === '') {
    const list = await all();
    const found = list.find((m) => m.source === 'trained' && m.llm_info) ?? list.find((m) => m.llm_info);
    if (!found) throw new NotFoundError('no language model is registered: upload a GGUF model ZIP (POST /models/upload) or fine-tune one', { reason: 'no_language_model' });
    return found;
  }
  const text = String(ref).trim();
  if (/^\d{1,15}$/.test(text)) {
    const id = await options.byNumber?.(Number(text));
    const byNumber = id === undefined ? undefined : await deps.models.get(id);
    if (byNumber) return byNumber;
  }
  const byId = await deps.models.get(text);
  if (byId) return byId;
  // A path the registry itself reported (weights_path, or the model's folder); never an arbitrary file.
  const normal = path.normalize(text).replace(/\/+$/, '');
  const byPath = (await all()).find((m) => m.weights_path === normal || path.dirname(path.dirname(m.weights_path)) === normal);
  if (byPath) return byPath;
  throw new NotFoundError(`language model ${JSON.stringify(text.slice(0, 200))} is not registered`, { reason: 'model_not_found', details: { model: text.slice(0, 200) } });
}

/**
 * The {@link TextModelRef} of a registered language model, by id, seed 002 number, or the path the
 * registry reported; none given → the newest trained language model (else the newest one). A LoRA
 * adapter resolves to its base model's GGUF with the adapter applied.
 * @example const ref = await resolveTextModel(deps, 'model_abc'); // { kind: 'gguf', id, path, adapters }
 */
export async function resolveTextModel(deps: ResolveTextModelDeps, ref?: string | number, options: ResolveTextModelOptions = {}): Promise<TextModelRef & { kind: 'gguf' }> {
  const model = await find(deps, ref, options);
  if (!isLanguageModel(model)) throw new ValidationError(`model ${model.model_id} is a ${model.task} model, not a language model`, { reason: 'not_language_model' });
  const own = ggufPath(deps, model);
  if (model.llm_info?.kind !== 'adapter') return { kind: 'gguf', id: model.model_id, path: own };
  const base = model.base_model_id === undefined ? undefined : await deps.models.get(model.base_model_id);
  if (!base) throw new NotFoundError(`base model ${model.base_model_id ?? '(none)'} of adapter ${model.model_id} is not registered`, { reason: 'base_model_missing' });
  if (base.llm_info?.kind === 'adapter') throw new ValidationError(`base model ${base.model_id} of adapter ${model.model_id} is itself an adapter`, { reason: 'invalid_base_model' });
  return { kind: 'gguf', id: model.model_id, path: ggufPath(deps, base), adapters: [{ path: own }] };
}
