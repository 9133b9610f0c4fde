import { checkWeightsName, ModelSchema, type Model } from '@yoloops/core';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { receiveSingleFile } from '../http/multipart.js';
import { defineRoute, type Route } from '../http/route.js';
import type { AppServices } from '../services.js';
import { idParam } from './params.js';

/** One registration at a time per job, so two concurrent uploads cannot register two models. */
const registering = new Map<string, Promise<unknown>>();
function exclusive<T>(jobId: string, work: () => Promise<T>): Promise<T> {
  const previous = registering.get(jobId) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(work);
  const tail = next.catch(() => undefined);
  registering.set(jobId, tail);
  void tail.then(() => {
    if (registering.get(jobId) === tail) registering.delete(jobId);
  });
  return next;
}

async function registerJobWeights(services: AppServices, jobId: string, filename: string, body: Readable): Promise<Model> {
  const job = await services.jobs.get(jobId);
  if (job.model_id !== undefined) {
    const existing = await services.models.get(job.model_id).catch(() => undefined);
    if (existing) {
      body.resume(); // first upload wins: drain this one, keep the registered model
      return existing;
    }
  }
  checkWeightsName(filename);
  const dataset = await services.datasets.get(job.dataset_id).catch(() => undefined);
  const model = await services.models.register({
    task: 'detect', source: 'trained', job_id: job.job_id, dataset_id: job.dataset_id, base_model: job.model_name,
    classes: dataset?.classes ?? [], imgsz: job.imgsz, epochs: job.epochs, weights: [{ filename, body }],
  });
  await services.jobs.attachModel(job.job_id, model.model_id);
  return model;
}

export const agentRoutes: Route[] = [
  defineRoute({
    method: 'post', path: '/api/agent/tasks/{task_id}/weights', operationId: 'uploadTaskWeights', summary: 'Trainer agent: register a finished job\'s weights', tags: ['notify'], dialect: 's004',
    description: 'Registers the uploaded `.onnx` or `.pt` as the job\'s trained model (classes from its dataset) and sets the job\'s `model_id`. The first upload wins: a later upload for a job that already has a model is drained and answered with that model, unchanged.',
    params: z.object({ task_id: idParam('task_id') }),
    multipart: { fileField: 'file', description: 'best.onnx (preferred) or best.pt' },
    responses: { 200: { description: 'The registered model, in `{success, code, msg, data}`; errors as `success:false` (404 unknown task, 400 bad name).', schema: ModelSchema } },
    handler: ({ params, req, services }) =>
      receiveSingleFile(req, { field: 'file' }, (file) => exclusive(params.task_id, () => registerJobWeights(services, params.task_id, file.filename, file.stream))),
  }),
];
