import { BASE_DETECTORS, CoreError, formatSizeWithUnit, trainingTemplates, type BaseDetector, type Dataset, type Model, type ResourceEntry } from '@yoloops/core';
import type { z } from 'zod';
import { HttpError } from '../http/errors.js';
import { ownerIdOf, type Principal } from '../http/principal.js';
import type { AppServices } from '../services.js';
import { mayView, notFound, queuePosition, type SubmitMeta } from './seed002-jobs.js';
import { checkHyperparameters, llmTemplates, submitFinetune } from './seed002-finetune-submit.js';
import { HyperparametersSchema, type SubmitTrainingSchema } from './seed002-training.schema.js';

const DIGITS = /^\d{1,15}$/;
const orUndefined = <T>(error: unknown): T | undefined => {
  if (error instanceof CoreError && error.code === 'NOT_FOUND') return undefined;
  throw error;
};

const compact = new Intl.NumberFormat('en', { notation: 'compact' });

/** Registered models a job can fine-tune (those with PyTorch weights) that the principal may see, in the training catalog's shape. */
export async function trainableModels(services: AppServices, p: Principal) {
  const out = [];
  for (const model of await services.models.list()) {
    if (!model.weights.some((w) => w.format === 'pt')) continue;
    const entry = await services.resources.ensure('model', model.model_id);
    if (!mayView(p, entry)) continue;
    out.push(catalogModel(model, entry));
  }
  return out;
}

const catalogModel = (model: Model, entry: ResourceEntry) => ({
  id: model.model_id, number: entry.number, name: model.name ?? model.model_id, provider: 'yoloops', size: formatSizeWithUnit(model.file_size),
  type: 'fine-tune' as const, framework: 'ultralytics' as const, task: model.task, classes: model.classes, created_at: model.created_at,
});

/** Prepared datasets the principal may see, with their numbers, versions, split counts and classes. */
export async function trainableDatasets(services: AppServices, p: Principal) {
  const out = [];
  for (const dataset of await services.datasets.list()) {
    if (dataset.status !== 'prepared') continue;
    const entry = await services.resources.ensure('dataset', dataset.dataset_id);
    if (mayView(p, entry)) out.push(catalogDataset(dataset, entry));
  }
  return out;
}

function catalogDataset(dataset: Dataset, entry: ResourceEntry) {
  const images = dataset.image_count ?? 0;
  const name = typeof entry.meta.name === 'string' ? entry.meta.name : dataset.filename.replace(/\.zip$/i, '');
  return {
    id: entry.number, dataset_id: dataset.dataset_id, name, project_id: entry.project_id,
    version: dataset.version ?? dataset.versions.at(-1) ?? 'v1', versions: dataset.versions,
    size: formatSizeWithUnit(dataset.size), rows: compact.format(images), image_count: images,
    train_count: dataset.train_count ?? 0, val_count: dataset.val_count ?? 0, test_count: dataset.test_count ?? 0,
    classes: dataset.classes ?? [], num_classes: dataset.classes?.length ?? 0, created_at: dataset.created_at,
  };
}

async function resolveDataset(services: AppServices, p: Principal, ref: number | string) {
  const text = String(ref);
  const byNumber = DIGITS.test(text) ? await services.resources.byNumber('dataset', Number(text)) : undefined;
  const id = byNumber?.id ?? text;
  const instruction = id.startsWith('ids_') ? (byNumber ?? (await services.resources.get('dataset', id))) : undefined;
  if (instruction && mayView(p, instruction)) {
    throw unprocessable('dataset_id', `dataset ${text} is an instruction dataset: the YOLO templates train on a prepared detection dataset; use template lora, qlora or full-finetune`, 'template_dataset_mismatch');
  }
  const dataset = (await services.datasets.list()).find((d) => d.dataset_id === id);
  const entry = dataset ? (byNumber ?? (await services.resources.ensure('dataset', id))) : undefined;
  if (!dataset || !entry || !mayView(p, entry)) throw notFound(`Dataset ${text}`, 'dataset_not_found');
  return { dataset, entry };
}

type ResolvedModel = { kind: 'base'; detector: BaseDetector } | { kind: 'fine-tune'; model: Model; entry: ResourceEntry };

async function resolveModel(services: AppServices, p: Principal, ref: string): Promise<ResolvedModel> {
  const detector = BASE_DETECTORS.find((d) => d.id === ref || d.id === `${ref}.pt`);
  if (detector) return { kind: 'base', detector };
  if (services.jobs.baseModels().some((m) => m.id === ref)) {
    throw unprocessable('template_id', `${ref} is a language base model: use template lora, qlora or full-finetune`, 'template_model_mismatch');
  }
  const byNumber = DIGITS.test(ref) ? await services.resources.byNumber('model', Number(ref)) : undefined;
  const model = await services.models.get(byNumber?.id ?? ref).catch((e: unknown) => orUndefined<Model>(e));
  const entry = model ? (byNumber ?? (await services.resources.ensure('model', model.model_id))) : undefined;
  if (!model || !entry || !mayView(p, entry)) throw notFound(`Model ${ref}`, 'model_not_found');
  return { kind: 'fine-tune', model, entry };
}

const unprocessable = (field: string, msg: string, code: string) => new HttpError(422, msg, code, [{ loc: ['body', field], msg, type: 'value_error' }]);

/**
 * `POST /api/v1/training/submit`: checks template, project, dataset and model, queues a real job through
 * the job service (as `POST /train/jobs`), records experiment, template and project in the job's index
 * entry, and answers in the origin's shape.
 */
export async function submitTraining(services: AppServices, p: Principal, body: z.infer<typeof SubmitTrainingSchema>) {
  const finetune = llmTemplates(services).find((t) => t.id === body.template_id);
  if (finetune) return submitFinetune(services, p, body, finetune);
  const template = trainingTemplates().find((t) => t.id === body.template_id);
  if (!template) throw notFound(`Template ${body.template_id}`, 'template_not_found');
  const project = await services.projects.get(body.project_id);
  if (!project || !mayView(p, project)) throw notFound(`Project ${body.project_id}`, 'project_not_found');
  const { dataset, entry: datasetEntry } = await resolveDataset(services, p, body.dataset_id);
  const model = await resolveModel(services, p, body.model_id);
  if (model.kind !== template.model_type) {
    const hint = model.kind === 'base' ? `${body.model_id} is a pretrained detector: use template yolo-detect` : `${body.model_id} is a registered model: use template yolo-finetune`;
    throw unprocessable('template_id', `template ${template.id} does not start from this model (${hint})`, 'template_model_mismatch');
  }
  const hyperparameters = { ...template.defaults, ...checkHyperparameters(HyperparametersSchema, body.hyperparameters) } as { epochs: number; imgsz: number; batch: number };
  const version = body.version ?? dataset.version ?? dataset.versions.at(-1) ?? 'v1';
  const job = await services.jobs.create({
    dataset_id: dataset.dataset_id, version, epochs: hyperparameters.epochs, imgsz: hyperparameters.imgsz, batch: hyperparameters.batch,
    ...(model.kind === 'base' ? { model_name: model.detector.id, base_model_id: null } : { base_model_id: model.model.model_id }),
  });
  const modelId = model.kind === 'base' ? model.detector.id : model.model.model_id;
  const meta: SubmitMeta = { experiment_name: body.experiment_name, template_id: template.id, model_id: modelId, hyperparameters };
  const init = { owner_id: ownerIdOf(p), project_id: project.id, meta: { ...meta } };
  await services.resources.ensure('job', job.job_id, init);
  const entry = (await services.resources.update('job', job.job_id, init))!;
  return {
    message: '训练任务已提交',
    job: {
      id: entry.number, job_id: job.job_id, number: entry.number, experiment_name: body.experiment_name,
      model: model.kind === 'base' ? model.detector : catalogModel(model.model, model.entry), model_id: modelId,
      dataset_id: datasetEntry.number, dataset: dataset.dataset_id, version, project_id: project.id, template,
      status: job.status, progress: 0, queue_position: queuePosition(job, await services.jobs.list()) ?? 1, estimated_start: null,
      config: { ...body, hyperparameters, version }, created_at: job.created_at,
    },
  };
}
