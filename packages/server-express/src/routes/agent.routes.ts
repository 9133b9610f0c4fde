import { checkWeightsName, ModelSchema, ValidationError, type Model } from '@yoloops/core';
import { randomUUID } from 'node:crypto';
import type { Request } from 'express';
import { z } from 'zod';
import { ReplyWithMessage } from '../http/dialects.js';
import { receiveEachFile } from '../http/multipart.js';
import { defineRoute, type Route } from '../http/route.js';
import type { AppServices } from '../services.js';
import { recordOwner } from './ownership.js';
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

/** The job's registered model, when an earlier upload already registered one (the first upload wins). */
async function registeredModel(services: AppServices, jobId: string): Promise<Model | undefined> {
  const job = await services.jobs.get(jobId);
  return job.model_id === undefined ? undefined : services.models.get(job.model_id).catch(() => undefined);
}

/**
 * Receives the job's weights (best.onnx and/or best.pt, in one request) into scratch files, then
 * registers them as one model with the classes of the job's dataset. A retried upload for a job
 * that already has its model is drained and answered with that model.
 */
async function registerJobWeights(services: AppServices, jobId: string, req: Request): Promise<Model> {
  const existing = await registeredModel(services, jobId);
  const scratch = `tmp/agent-weights/${randomUUID()}`;
  const received: string[] = [];
  try {
    await receiveEachFile(req, { field: 'file', maxFiles: 4 }, async (file) => {
      if (existing) return void file.stream.resume();
      checkWeightsName(file.filename);
      if (received.includes(file.filename)) throw new ValidationError(`weights file "${file.filename}" is given twice`, { reason: 'duplicate_weights' });
      received.push(file.filename);
      await services.blobs.write(`${scratch}/${file.filename}`, file.stream, { durable: false });
    });
    if (existing) return existing;
    const job = await services.jobs.get(jobId);
    const dataset = await services.datasets.get(job.dataset_id).catch(() => undefined);
    const weights = await Promise.all(received.map(async (filename) => ({ filename, body: await services.blobs.read(`${scratch}/${filename}`) })));
    const model = await services.models.register({
      task: 'detect', source: 'trained', job_id: job.job_id, dataset_id: job.dataset_id, base_model: job.model_name,
      classes: dataset?.classes ?? [], imgsz: job.imgsz, epochs: job.epochs, weights,
    });
    await services.jobs.attachModel(job.job_id, model.model_id);
    return model;
  } finally {
    await services.blobs.delete(scratch);
  }
}

/** Reads a request body to its end and drops it (an ignored upload is still read, so the connection stays usable). */
function drain(req: Request): Promise<void> {
  return new Promise((resolve) => {
    if (req.readableEnded) return resolve();
    req.on('end', resolve).on('error', () => resolve()).on('close', resolve);
    req.resume();
  });
}

export const agentRoutes: Route[] = [
  defineRoute({
    method: 'post', path: '/api/agent/tasks/{task_id}/weights', operationId: 'uploadTaskWeights', summary: 'Trainer agent: register a finished job\'s weights', tags: ['notify'], dialect: 's004',
    auth: 'agent', rateLimit: 'none',
    description: 'Registers the uploaded weights (one to four `file` parts: best.onnx for inference, best.pt for fine-tuning, and any external data of the ONNX) as the job\'s trained model (classes from its dataset) and sets the job\'s `model_id`. With `?attempt=N` older than the job\'s attempt the upload is drained and ignored. The first upload wins: a later upload for a job that already has a model is drained and answered with that model, unchanged. Auth: the job\'s agent token (`YOLOOPS_AGENT_TOKEN`), an admin\'s token or the job owner\'s; another job\'s agent token is a 403.',
    params: z.object({ task_id: idParam('task_id') }),
    query: z.object({ attempt: z.string().regex(/^\d{1,7}$/, 'attempt must be a positive integer').transform(Number).optional().describe('Attempt whose trainer wrote the weights; one older than the job\'s is drained and ignored (fencing).') }),
    multipart: { fileField: 'file', repeated: true, description: 'best.onnx and best.pt as repeated `file` fields (either alone is accepted)' },
    responses: { 200: { description: 'The registered model, in `{success, code, msg, data}`; errors as `success:false` (404 unknown task, 400 bad name).', schema: ModelSchema } },
    handler: async ({ params, query, req, res, services }) => {
      const current = query.attempt === undefined ? undefined : (await services.jobs.get(params.task_id)).attempt;
      if (current !== undefined && query.attempt !== undefined && query.attempt < current) {
        await drain(req);
        return new ReplyWithMessage(`ignored: weights from attempt ${query.attempt}, the job is on attempt ${current}`, '');
      }
      const model = await exclusive(params.task_id, () => registerJobWeights(services, params.task_id, req));
      const job = await services.resources.get('job', params.task_id); // the model belongs to whoever owns the job
      await recordOwner(services, res, 'model', model.model_id, { owner_id: job?.owner_id ?? null, project_id: job?.project_id ?? null });
      return model;
    },
  }),
];
