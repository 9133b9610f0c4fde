import type { Dataset, EnsureResourceInput, Model, ResourceEntry, ResourceKind } from '@yoloops/core';
import { datasetStatusOf, epochLoss, formatSizeShort, formatSizeWithUnit, toTrainingMetrics } from '@yoloops/core';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { z } from 'zod';
import type { AppServices } from '../services.js';
import type { CatalogDatasetSchema, CatalogModelSchema } from './catalog.schemas.js';

/** Id of a seed 002 record made by `POST` before its upload (never a real `ds_…`/`model_…` id). */
export const newRecordId = (): string => `record_${randomBytes(12).toString('hex')}`;
export const isRecordId = (id: string): boolean => id.startsWith('record_');

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const stem = (filename: string) => filename.replace(/\.zip$/i, '');

/**
 * Every resource of a kind with its entry, numbered on first sight oldest first (resources made before
 * the index, or through the S001 routes), plus the records still waiting for their upload.
 */
export async function indexed<T>(
  services: AppServices, kind: ResourceKind, resources: readonly T[], idOf: (r: T) => string, initOf: (r: T) => Promise<EnsureResourceInput> = async () => ({}),
): Promise<{ entry: ResourceEntry; resource?: T }[]> {
  const byId = new Map(resources.map((r) => [idOf(r), r]));
  let entries = await services.resources.list(kind);
  const known = new Set(entries.map((e) => e.id));
  const missing = resources.filter((r) => !known.has(idOf(r))).reverse();
  for (const r of missing) await services.resources.ensure(kind, idOf(r), await initOf(r));
  if (missing.length > 0) entries = await services.resources.list(kind);
  return entries.filter((e) => isRecordId(e.id) || byId.has(e.id)).map((entry) => ({ entry, ...(byId.has(entry.id) ? { resource: byId.get(entry.id) as T } : {}) }));
}

export const indexedDatasets = async (services: AppServices) => indexed(services, 'dataset', await services.datasets.list(), (d) => d.dataset_id);
/** A trained model first seen here belongs to its job's owner and project. */
export async function modelInit(services: AppServices, model: Pick<Model, 'job_id'>): Promise<EnsureResourceInput> {
  const job = model.job_id ? await services.resources.get('job', model.job_id) : undefined;
  return job ? { owner_id: job.owner_id, project_id: job.project_id } : {};
}

export const indexedModels = async (services: AppServices) => indexed(services, 'model', await services.models.list(), (m) => m.model_id, (m) => modelInit(services, m));

const INSTRUCTION_FORMATS = new Set(['json', 'jsonl', 'csv']);
/** The format a record was created with (`yolo` for records made before formats were asked). */
export const recordFormatOf = (entry: ResourceEntry): 'yolo' | 'json' | 'jsonl' | 'csv' =>
  typeof entry.meta.format === 'string' && INSTRUCTION_FORMATS.has(entry.meta.format) ? (entry.meta.format as 'json' | 'jsonl' | 'csv') : 'yolo';

/** Bytes as MiB, two decimals (seed 003's `size_mb`). */
export const toMb = (bytes: number): number => Math.round((bytes / 1048576) * 100) / 100;

/** Seed 002's dataset shape from the record and the real dataset (absent before the upload), with seed 003's fields. */
export function datasetView(entry: ResourceEntry, ds: Dataset | undefined): z.infer<typeof CatalogDatasetSchema> {
  const size = ds?.size ?? 0;
  const format = ds ? 'yolo' : recordFormatOf(entry);
  return {
    id: entry.number,
    dataset_id: ds?.dataset_id ?? null,
    name: text(entry.meta.name) ?? (ds ? stem(ds.filename) : ''),
    description: text(entry.meta.description) ?? ds?.description ?? null,
    project_id: entry.project_id,
    owner_id: entry.owner_id,
    format,
    size,
    size_formatted: formatSizeWithUnit(size),
    row_count: ds?.image_count ?? 0,
    status: datasetStatusOf(ds),
    state: ds?.status ?? null,
    classes: ds?.classes ?? [],
    error: ds?.error ?? null,
    created_at: entry.meta.record === true || !ds ? entry.created_at : ds.created_at,
    kind: format === 'yolo' ? 'detection' : 'instruction',
    path: ds?.data_yaml ?? null,
    size_mb: toMb(size),
    samples_count: ds?.image_count ?? 0,
    record_format: null,
    processed: [],
  };
}

const NO_LM_METRICS = { train_loss: null, val_loss: null, perplexity: null };

/** A language model's run metrics in both seeds' names; null without any. */
function languageModelMetrics(model: Model): z.infer<typeof CatalogModelSchema>['metrics'] {
  const m = model.metrics;
  if (!m) return null;
  const train = m.train_loss ?? null;
  const val = m.val_loss ?? m.eval_loss ?? null;
  const perplexity = m.perplexity ?? (val === null ? null : Math.exp(val));
  return { final_loss: train, mAP50: null, 'mAP50-95': null, precision: null, recall: null, train_loss: train, val_loss: val, perplexity };
}

/** The last stored epoch of the model's training job as seed 002 `metrics`; null without a job or an epoch. */
async function modelMetrics(services: AppServices, model: Model): Promise<z.infer<typeof CatalogModelSchema>['metrics']> {
  if (model.task === 'text-generation') return languageModelMetrics(model);
  if (!model.job_id) return null;
  const epochs = await services.jobMetrics.listEpochs(model.job_id);
  const last = epochs.at(-1);
  if (!last) return null;
  const final = toTrainingMetrics(epochs.map(({ epoch, metrics }) => ({ epoch, metrics }))).training_history.final_metrics;
  const loss = epochLoss(last.metrics).loss;
  return { final_loss: loss ?? null, mAP50: final?.mAP50 ?? null, 'mAP50-95': final?.mAP50_95 ?? null, precision: final?.precision ?? null, recall: final?.recall ?? null, ...NO_LM_METRICS };
}

/** Seed 002's `framework` of a registered model. */
function frameworkOf(model: Model): string {
  if (model.weights.some((w) => w.format === 'pt')) return 'ultralytics';
  if (model.weights.some((w) => w.format === 'gguf')) return 'gguf';
  return model.task === 'text-generation' ? 'transformers' : 'onnx';
}

/** A registry model's folder (`…/models/<id>`): seed 003's `path`, accepted back as `model_path`. */
export const modelFolder = (weightsPath: string): string => path.dirname(path.dirname(weightsPath));

/** Seed 002's model shape from the record and the registered model (absent before the upload). */
export async function modelView(services: AppServices, entry: ResourceEntry, model: Model | undefined): Promise<z.infer<typeof CatalogModelSchema>> {
  const size = model?.file_size ?? 0;
  const framework = model ? frameworkOf(model) : (text(entry.meta.framework) ?? 'ultralytics');
  return {
    id: entry.number,
    model_id: model?.model_id ?? null,
    name: text(entry.meta.name) ?? model?.name ?? model?.model_id ?? '',
    base_model: text(entry.meta.base_model) ?? model?.base_model ?? model?.base_model_id ?? null,
    framework,
    version: text(entry.meta.version) ?? 'v1.0',
    size: formatSizeShort(size),
    size_bytes: size,
    status: model ? 'ready' : 'pending',
    metrics: model ? await modelMetrics(services, model) : null,
    project_id: entry.project_id,
    owner_id: entry.owner_id,
    job_id: model?.job_id ?? null,
    created_at: entry.meta.record === true || !model ? entry.created_at : model.created_at,
    task: model?.task ?? null,
    path: model ? modelFolder(model.weights_path) : null,
    size_mb: toMb(size),
    description: model?.description ?? text(entry.meta.description) ?? null,
    training_config: model?.training_config ?? null,
    last_used: model?.last_used ?? null,
    usage_count: model?.usage_count ?? 0,
  };
}
