import {
  BASE_DETECTORS, CoreError, finetuneHyperparametersSchema, finetuneRequestOf, finetuneTemplates, formatSizeWithUnit, isCoreError,
  type BaseLanguageModel, type FinetuneTemplate, type InstructionDataset, type ResourceEntry,
} from '@yoloops/core';
import type { z } from 'zod';
import { HttpError } from '../http/errors.js';
import { ownerIdOf, type Principal } from '../http/principal.js';
import type { AppServices } from '../services.js';
import { mayView, notFound, queuePosition, type SubmitMeta } from './seed002-jobs.js';
import type { SubmitTrainingSchema } from './seed002-training.schema.js';

type Submit = z.infer<typeof SubmitTrainingSchema>;
const DIGITS = /^\d{1,15}$/;

/** Seed 002's `provider` of a base model: the organisation of its Hugging Face id (`Qwen/…` → Qwen), `local` for a folder. */
const providerOf = (base: BaseLanguageModel) => (base.model_name_or_path.includes('/') && !base.model_name_or_path.startsWith('/') ? base.model_name_or_path.split('/')[0] ?? 'local' : 'local');

/** A base model of the catalog in seed 002's `/training/models` shape. */
export const catalogLlmModel = (base: BaseLanguageModel, defaultId: string | undefined) => ({
  id: base.id, name: base.name ?? base.id, provider: providerOf(base), size: base.parameters ?? 'unknown', type: 'base' as const, framework: 'transformers',
  task: 'text-generation', trainer: 'llama-factory', model_name_or_path: base.model_name_or_path, template: base.template,
  ...(base.license ? { license: base.license } : {}), default: base.id === defaultId,
});

/** The language base models fine-tunes start from (the operator's catalog), default marked. */
export function llmBaseModels(services: AppServices) {
  const models = services.jobs.baseModels();
  const defaultId = models.find((m) => m.default === true)?.id ?? models[0]?.id;
  return models.map((m) => catalogLlmModel(m, defaultId));
}

/** The fine-tune templates, their GPU estimate for the catalog's default base model. */
export function llmTemplates(services: AppServices): FinetuneTemplate[] {
  const models = services.jobs.baseModels();
  return finetuneTemplates(models.find((m) => m.default === true) ?? models[0]);
}

const compact = new Intl.NumberFormat('en', { notation: 'compact' });

/** Processed instruction datasets the principal may see, in `/training/datasets`' shape: versions are the processed outputs (newest last), counts the newest's. */
export async function trainableInstructionDatasets(services: AppServices, p: Principal) {
  const out = [];
  for (const ds of await services.instructions.list()) {
    const newest = ds.processed.at(-1);
    const entry = await services.resources.ensure('dataset', ds.id, { owner_id: ds.owner_id });
    if (newest === undefined || !mayView(p, entry)) continue;
    out.push({
      id: entry.number, dataset_id: ds.id, name: typeof entry.meta.name === 'string' ? entry.meta.name : ds.name, project_id: entry.project_id,
      version: newest.output_name, versions: ds.processed.map((o) => o.output_name), size: formatSizeWithUnit(ds.size_bytes), rows: compact.format(ds.samples_count),
      image_count: 0, train_count: newest.splits.train, val_count: newest.splits.validation, test_count: newest.splits.test, classes: [], num_classes: 0, created_at: ds.created_at,
      kind: 'instruction' as const, record_format: ds.record_format, samples_count: ds.samples_count,
    });
  }
  return out;
}

const unprocessable = (loc: string[], msg: string, code: string) => new HttpError(422, msg, code, [{ loc: ['body', ...loc], msg, type: 'value_error' }]);

/** A body's `hyperparameters` checked against a template's own schema: FastAPI's 422 at `body.hyperparameters[.name]` otherwise. */
export function checkHyperparameters<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const errors = parsed.error.issues.map((i) => ({ loc: ['body', 'hyperparameters', ...i.path.map(String)], msg: i.message, type: i.code }));
  const first = errors[0];
  throw new HttpError(422, `invalid body ${first?.loc.slice(1).join('.') ?? 'hyperparameters'}: ${first?.msg ?? 'invalid'}`, 'validation_error', errors);
}

async function instructionDataset(services: AppServices, p: Principal, ref: number | string): Promise<{ ds: InstructionDataset; entry: ResourceEntry }> {
  const text = String(ref);
  const entry = DIGITS.test(text) ? await services.resources.byNumber('dataset', Number(text)) : await services.resources.get('dataset', text);
  const ds = entry && entry.id.startsWith('ids_') ? await services.instructions.get(entry.id).catch((e: unknown) => (isCoreError(e) && e.code === 'NOT_FOUND' ? undefined : Promise.reject(e))) : undefined;
  if (entry && !ds && mayView(p, entry) && (await services.datasets.get(entry.id).then(() => true, () => false))) {
    throw unprocessable(['dataset_id'], `dataset ${text} is a detection dataset: the fine-tune templates train on an instruction dataset (POST /api/v1/datasets/upload, then /api/v1/datasets/process)`, 'template_dataset_mismatch');
  }
  if (!ds || !entry || !mayView(p, entry)) throw notFound(`Dataset ${text}`, 'dataset_not_found');
  return { ds, entry };
}

function baseModel(services: AppServices, modelId: string): BaseLanguageModel {
  const base = services.jobs.baseModels().find((m) => m.id === modelId);
  if (base) return base;
  if (BASE_DETECTORS.some((d) => d.id === modelId || d.id === `${modelId}.pt`)) {
    throw unprocessable(['template_id'], `${modelId} is a pretrained detector: use template yolo-detect`, 'template_model_mismatch');
  }
  throw notFound(`Model ${modelId}`, 'model_not_found');
}

/**
 * `POST /api/v1/training/submit` with a fine-tune template: a catalog base model, a processed
 * instruction dataset of the caller (its newest output, or `output_name`) and the template's
 * hyperparameters queue an llm-finetune job; the answer is the origin's shape.
 */
export async function submitFinetune(services: AppServices, p: Principal, body: Submit, template: FinetuneTemplate) {
  const project = await services.projects.get(body.project_id);
  if (!project || !mayView(p, project)) throw notFound(`Project ${body.project_id}`, 'project_not_found');
  const { ds, entry: datasetEntry } = await instructionDataset(services, p, body.dataset_id);
  const base = baseModel(services, body.model_id);
  const h = checkHyperparameters(finetuneHyperparametersSchema(template), body.hyperparameters) as Record<string, unknown>;
  const output = body.output_name === undefined ? ds.processed.at(-1) : ds.processed.find((o) => o.output_name === body.output_name);
  if (!output) {
    const what = body.output_name === undefined ? 'has no processed output' : `has no processed output ${body.output_name} (it has ${ds.processed.map((o) => o.output_name).join(', ') || 'none'})`;
    throw new CoreError('CONFLICT', `Dataset ${datasetEntry.number} ${what}: process it first (POST /api/v1/datasets/process)`, { reason: 'dataset_not_processed' });
  }
  const name = output.output_name;
  const job = await services.jobs.createFinetune({
    ...finetuneRequestOf(template, h), base_model: base.id, dataset_dir: `instructions/${ds.id}/processed/${name}`, dataset: [`${name}_train`],
    ...(output.splits.validation > 0 ? { eval_dataset: [`${name}_validation`] } : {}), dataset_id: ds.id,
  });
  const hyperparameters = { ...template.defaults, ...h };
  const meta: SubmitMeta = { experiment_name: body.experiment_name, template_id: template.id, model_id: base.id, hyperparameters };
  const init = { owner_id: ownerIdOf(p), project_id: project.id, meta: { ...meta } };
  await services.resources.ensure('job', job.job_id, init);
  const entry = (await services.resources.update('job', job.job_id, init))!;
  const models = llmBaseModels(services);
  return {
    message: '训练任务已提交',
    job: {
      id: entry.number, job_id: job.job_id, number: entry.number, experiment_name: body.experiment_name,
      model: models.find((m) => m.id === base.id)!, model_id: base.id, dataset_id: datasetEntry.number, dataset: ds.id, version: name, project_id: project.id, template,
      status: job.status, progress: 0, queue_position: queuePosition(job, await services.jobs.list()) ?? 1, estimated_start: null,
      config: { ...body, hyperparameters, version: name, output_name: name }, created_at: job.created_at,
    },
  };
}
