import { BASE_DETECTORS, JobStatusSchema, trainingTemplates } from '@yoloops/core';
import { z } from 'zod';
import { defineRoute, type Route } from '../http/route.js';
import { principalOf } from '../http/principal.js';
import { errorResponses as errors, idParam } from './params.js';
import { findJob, lastLogLines, notFound, toSeed002Job, visibleJobs } from './seed002-jobs.js';
import { llmBaseModels, llmTemplates, trainableInstructionDatasets } from './seed002-finetune-submit.js';
import { submitTraining, trainableDatasets, trainableModels } from './seed002-submit.js';
import {
  Seed002TrainingJobDetailSchema, Seed002TrainingJobSchema, SubmitResultSchema, SubmitTrainingSchema, TemplatesSchema, TrainingDatasetsSchema, TrainingModelsSchema,
} from './seed002-training.schema.js';

const S002 = { dialect: 's002' as const, tags: ['s002-training'] };
const JobRef = z.object({ job_id: idParam('job_id').describe('Job number or job id.') });

export const seed002TrainingRoutes: Route[] = [
  defineRoute({
    method: 'get', path: '/api/v1/training/models', operationId: 'listSeed002TrainingModels', summary: 'Models a job can start from', ...S002,
    description:
      'The Ultralytics detectors by file name (the trainer downloads them), the language base models of the base-model catalog (YOLOOPS_LLM_BASE_MODELS; templates lora, qlora, full-finetune) ' +
      'and the registered models with PyTorch weights (fine-tuning). Each `id` is what POST /training/submit takes as `model_id`.',
    responses: { 200: { description: 'Models', schema: TrainingModelsSchema } },
    handler: async ({ services, res }) => ({ models: [...BASE_DETECTORS, ...llmBaseModels(services), ...(await trainableModels(services, principalOf(res)))] }),
  }),
  defineRoute({
    method: 'get', path: '/api/v1/training/templates', operationId: 'listSeed002TrainingTemplates', summary: 'Training templates that run here', ...S002,
    description:
      'YOLO detection from a pretrained detector, fine-tuning of a registered detector, and the language-model fine-tunes lora, qlora and full-finetune (LLaMA-Factory); ' +
      '`params` are the job request\'s own types, ranges and defaults; `min_gpu_memory` of a language template is LLaMA-Factory\'s estimate for the catalog\'s default base model.',
    responses: { 200: { description: 'Templates', schema: TemplatesSchema } },
    handler: async ({ services }) => ({ templates: [...trainingTemplates(), ...llmTemplates(services)] }),
  }),
  defineRoute({
    method: 'get', path: '/api/v1/training/datasets', operationId: 'listSeed002TrainingDatasets', summary: 'Datasets a job can train on (prepared detection, processed instruction)', ...S002,
    responses: { 200: { description: 'Prepared datasets', schema: TrainingDatasetsSchema } },
    handler: async ({ services, res }) => ({
      datasets: [...(await trainableDatasets(services, principalOf(res))), ...(await trainableInstructionDatasets(services, principalOf(res)))],
    }),
  }),
  defineRoute({
    method: 'post', path: '/api/v1/training/submit', operationId: 'submitSeed002Training', summary: 'Queue a real training job', ...S002, rateLimit: 'train',
    description:
      'Checks template, project, dataset and model (404 naming the one not found; 422 for a bad field, an unsupported hyperparameter or a model the template does not start from), ' +
      'then queues the job as POST /train/jobs does. HTTP 200 as the origin. Top-level keys beyond the documented ones are ignored, as FastAPI does.',
    body: SubmitTrainingSchema,
    responses: { 200: { description: 'Queued', schema: SubmitResultSchema }, ...errors(404, 409, 422) },
    handler: async ({ body, services, res }) => submitTraining(services, principalOf(res), body),
  }),
  defineRoute({
    method: 'get', path: '/api/v1/training/jobs', operationId: 'listSeed002TrainingJobs', summary: 'Training jobs, newest first', ...S002,
    description: 'Every job the caller may see (a member: its own), including those made by POST /train/jobs.',
    query: z.object({ status: JobStatusSchema.optional() }),
    responses: { 200: { description: 'Jobs', schema: z.object({ jobs: z.array(Seed002TrainingJobSchema) }).meta({ id: 'Seed002TrainingJobs' }) }, ...errors(422) },
    handler: async ({ query, services, res }) => {
      const visible = await visibleJobs(services, res);
      const all = visible.map((v) => v.job);
      const picked = visible.filter((v) => query.status === undefined || v.job.status === query.status);
      return { jobs: await Promise.all(picked.map((v) => toSeed002Job(services, v.job, v.entry, all))) };
    },
  }),
  defineRoute({
    method: 'get', path: '/api/v1/training/jobs/{job_id}', operationId: 'getSeed002TrainingJob', summary: 'One training job with its last log lines', ...S002,
    params: JobRef,
    responses: { 200: { description: 'The job', schema: Seed002TrainingJobDetailSchema }, ...errors(404) },
    handler: async ({ params, services, res }) => {
      const found = await findJob(services, res, params.job_id);
      if (found === undefined) throw notFound(`Job ${params.job_id}`, 'job_not_found');
      const view = await toSeed002Job(services, found.job, found.entry, await services.jobs.list());
      return { ...view, logs: await lastLogLines(services, found.job.job_id) };
    },
  }),
];
