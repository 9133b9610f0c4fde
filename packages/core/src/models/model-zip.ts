import type { Readable } from 'node:stream';
import yazl from 'yazl';
import { ValidationError } from '../errors.js';
import { openSafeZip, type ZipEntryInfo } from '../datasets/zip/open-safe-zip.js';
import type { ZipLimits } from '../datasets/zip/zip-limits.js';
import { RESOURCE_ID_PATTERN } from '../platform/ids.js';
import type { BlobReader, BlobStore } from '../storage/blob-store.port.js';
import type { Model } from './model.schema.js';

/** What an uploaded model ZIP holds, before registration. */
export interface ModelZipContents {
  /** The model.json fields yoloops keeps (see `pickModelJson`). */
  meta: ModelJsonFields;
  /** `model_id` from model.json when it is a usable id. */
  requestedId: string | undefined;
  /** Files directly inside the weights folder, in ZIP order. */
  weights: { filename: string; entry: ZipEntryInfo }[];
}

/** model.json fields an upload may set (the rest is recomputed: weights, sizes, dates). */
export interface ModelJsonFields {
  name?: string;
  description?: string;
  tags?: string[];
  task?: string;
  classes?: string[];
  imgsz?: number;
  epochs?: number;
  base_model?: string;
  dataset_id?: string;
  /** A LoRA adapter GGUF: the registered model it applies on. */
  base_model_id?: string;
}

const MODEL_JSON_MAX_BYTES = 1024 * 1024;
const str = (value: unknown, max: number): string | undefined => (typeof value === 'string' && value.length <= max ? value : undefined);
const int = (value: unknown): number | undefined => (Number.isSafeInteger(value) && (value as number) > 0 ? (value as number) : undefined);
const strings = (value: unknown, max: number): string[] | undefined =>
  Array.isArray(value) && value.length <= 10_000 && value.every((v) => typeof v === 'string' && v.length <= max) ? (value as string[]) : undefined;

/** Classes as the origin's model.json lists them (`["a","b"]`) or as Ultralytics names them (`{"0":"a","1":"b"}`). */
function pickClasses(value: unknown): string[] | undefined {
  if (Array.isArray(value)) return strings(value, 200);
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    const names: string[] = [];
    for (let i = 0; i < entries.length; i++) {
      const name = (value as Record<string, unknown>)[String(i)];
      if (typeof name !== 'string' || name.length > 200) return undefined;
      names.push(name);
    }
    return names;
  }
  return undefined;
}

/** The model.json fields an upload keeps; anything else (absolute paths of another machine, its job ids) is dropped. */
export function pickModelJson(json: unknown): { fields: ModelJsonFields; modelId: string | undefined } {
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    throw new ValidationError('model.json must hold a JSON object', { reason: 'invalid_model_json' });
  }
  const o = json as Record<string, unknown>;
  const fields: ModelJsonFields = {};
  const set = <K extends keyof ModelJsonFields>(key: K, value: ModelJsonFields[K] | undefined) => {
    if (value !== undefined) fields[key] = value;
  };
  set('name', str(o.name, 500));
  set('description', str(o.description, 10_000));
  set('tags', strings(o.tags, 200));
  set('task', str(o.task, 50));
  set('classes', pickClasses(o.classes ?? o.names));
  if (o.imgsz !== undefined && o.imgsz !== null) {
    const sides = Array.isArray(o.imgsz) ? o.imgsz : [o.imgsz];
    if (sides.length < 1 || sides.length > 2 || !sides.every((v) => Number.isSafeInteger(v) && (v as number) >= 32 && (v as number) <= 4096)) {
      throw new ValidationError(`model.json imgsz must be a side (or [height, width]) of 32–4096 pixels (got ${JSON.stringify(o.imgsz).slice(0, 50)})`, { reason: 'invalid_model_json' });
    }
    fields.imgsz = sides[0] as number;
  }
  set('epochs', int(o.epochs));
  set('base_model', str(o.base_model, 1000));
  set('dataset_id', str(o.dataset_id, 200));
  set('base_model_id', typeof o.base_model_id === 'string' && RESOURCE_ID_PATTERN.test(o.base_model_id) ? o.base_model_id : undefined);
  const modelId = typeof o.model_id === 'string' && RESOURCE_ID_PATTERN.test(o.model_id) ? o.model_id : undefined;
  return { fields, modelId };
}

const depth = (name: string) => name.split('/').length;

/**
 * Reads an uploaded model ZIP in either origin layout — `<id>/model.json + <id>/weights/*` (what
 * export writes) or `model.json + weights/*` — through the hardened ZIP reader. The weights folder is
 * the shallowest folder named `weights`; its direct files are the weights (`.onnx`, `.pt`, and the
 * external-data files an ONNX names). model.json is optional: the one beside the weights folder, else
 * the shallowest one.
 */
export async function readModelZip(reader: BlobReader, limits: Partial<ZipLimits> = {}): Promise<ModelZipContents & { close(): Promise<void>; read(entry: ZipEntryInfo): Promise<Readable> }> {
  const zip = await openSafeZip(reader, limits);
  try {
    const files = zip.entries.filter((e) => !e.isDirectory);
    const folders = new Set<string>();
    for (const entry of zip.entries) {
      const parts = entry.name.replace(/\/$/, '').split('/');
      for (let i = 0; i < parts.length - (entry.isDirectory ? 0 : 1); i++) {
        if (parts[i] === 'weights') folders.add(parts.slice(0, i + 1).join('/'));
      }
    }
    const weightsDir = [...folders].sort((a, b) => depth(a) - depth(b) || a.localeCompare(b))[0];
    if (weightsDir === undefined) throw new ValidationError("ZIP file must contain a 'weights' directory", { reason: 'no_weights_dir' });
    const weights = files
      .filter((e) => e.name.startsWith(`${weightsDir}/`) && !e.name.slice(weightsDir.length + 1).includes('/'))
      .map((entry) => ({ filename: entry.name.slice(weightsDir.length + 1), entry }));
    if (!weights.some((w) => /\.(onnx|pt|gguf)$/i.test(w.filename))) {
      throw new ValidationError(`weights directory "${weightsDir}" must contain at least one .onnx or .pt file (or a .gguf language model)`, { reason: 'no_weights' });
    }
    const parent = weightsDir.includes('/') ? weightsDir.slice(0, weightsDir.lastIndexOf('/') + 1) : '';
    const jsons = files.filter((e) => e.name === 'model.json' || e.name.endsWith('/model.json'));
    const modelJson = jsons.find((e) => e.name === `${parent}model.json`) ?? jsons.sort((a, b) => depth(a.name) - depth(b.name))[0];
    let meta: ModelJsonFields = {};
    let requestedId: string | undefined;
    if (modelJson) {
      const bytes = await zip.readEntry(modelJson, MODEL_JSON_MAX_BYTES);
      let parsed: unknown;
      try {
        parsed = JSON.parse(bytes.toString('utf8'));
      } catch (error) {
        throw new ValidationError(`${modelJson.name} is not valid JSON: ${(error as Error).message}`, { reason: 'invalid_model_json' });
      }
      const picked = pickModelJson(parsed);
      meta = picked.fields;
      requestedId = picked.modelId;
    }
    return { meta, requestedId, weights, close: () => zip.close(), read: (entry) => zip.openEntry(entry) };
  } catch (error) {
    await zip.close();
    throw error;
  }
}

const FIXED_MTIME = new Date('2000-01-01T00:00:00Z');

/** The model.json written into an export: the record with `weights_path` relative to the model folder. */
export function exportedModelJson(model: Model): Record<string, unknown> {
  const main = model.weights.find((w) => w.format === 'onnx') ?? model.weights.find((w) => w.format === 'pt') ?? model.weights.find((w) => w.format === 'gguf') ?? model.weights[0];
  return { ...model, weights_path: main ? `weights/${main.file}` : undefined };
}

/**
 * Streams a model as the origin's export ZIP: `<model_id>/model.json` and `<model_id>/weights/<file>`
 * for every weights file (uploading it again gives the same model under a new id).
 */
export function exportModelZip(blobs: BlobStore, model: Model, weightsKey: (file: string) => string): Readable {
  const zip = new yazl.ZipFile();
  const root = model.model_id;
  zip.addBuffer(Buffer.from(`${JSON.stringify(exportedModelJson(model), null, 2)}\n`), `${root}/model.json`, { mtime: FIXED_MTIME });
  const output = zip.outputStream as Readable;
  void (async () => {
    try {
      for (const w of model.weights) {
        const stream = await blobs.read(weightsKey(w.file));
        zip.addReadStream(stream, `${root}/weights/${w.file}`, { mtime: FIXED_MTIME, compress: w.format !== 'onnx' && w.format !== 'gguf' });
      }
      zip.end();
    } catch (error) {
      output.destroy(error as Error);
    }
  })();
  return output;
}
