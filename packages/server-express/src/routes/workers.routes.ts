import {
  ClaimRefusalReasonSchema, InvalidStateError, WorkerClaimSchema, WorkerExitAnswerSchema, WorkerExitSchema, WorkerHeartbeatAnswerSchema,
  WorkerHeartbeatSchema, WorkerIdSchema, WorkerViewSchema, WorkOrderSchema, zipBlobFolder, type WorkerDispatch,
} from '@yoloops/core';
import { z } from 'zod';
import { defineRoute, type Route } from '../http/route.js';
import type { AppServices } from '../services.js';
import { errorResponses, idParam } from './params.js';

const WorkerParams = z.object({ worker_id: WorkerIdSchema });
const WorkerJobParams = z.object({ worker_id: WorkerIdSchema, job_id: idParam('job_id') });
const JobParams = z.object({ job_id: idParam('job_id') });
const AttemptQuery = z.object({ attempt: z.string().regex(/^\d{1,7}$/, 'attempt must be a positive integer').transform(Number).describe('The attempt the worker claimed; another is a 409.') });
const ClaimRefusal = z
  .object({ reason: ClaimRefusalReasonSchema, detail: z.string(), code: z.string() })
  .meta({ id: 'WorkerClaimRefusal', description: 'The worker completes its message and runs nothing.' });
const WorkerList = z.array(WorkerViewSchema).meta({ id: 'WorkerList' });
const AUTH = 'With auth on: a worker token (`yoloops workers token`) or an admin\'s.';
const CLAIM_REASONS: ReadonlySet<string> = new Set(ClaimRefusalReasonSchema.options);

/** The worker use cases, or a 409 `not_dispatching` when this server runs its trainers itself. */
function dispatchOf(services: AppServices): WorkerDispatch {
  const workers = services.jobs.workers;
  if (workers === undefined) {
    throw new InvalidStateError('this server runs its trainers itself; start it with YOLOOPS_REDIS_URL to hand jobs to workers', { reason: 'not_dispatching' });
  }
  return workers;
}

const listRoute = (path: string, operationId: string) =>
  defineRoute({
    method: 'get', path, operationId, summary: 'Remote training workers: labels, current job, last heartbeat, GPUs', tags: ['workers'],
    description: `Every worker heard of in the last day (dispatch mode; empty otherwise); \`alive\` = a heartbeat within the worker timeout. ${AUTH}`,
    auth: 'worker', rateLimit: 'none',
    responses: { 200: { description: 'The workers, by id', schema: WorkerList } },
    handler: async ({ services }) => (services.jobs.workers === undefined ? [] : services.jobs.workers.list()),
  });

export const workersRoutes: Route[] = [
  defineRoute({
    method: 'post', path: '/api/workers/{worker_id}/heartbeat', operationId: 'workerHeartbeat', summary: 'Worker: I am alive, running these attempts', tags: ['workers'],
    description: `Records the worker (labels, concurrency, GPUs) and answers the attempts it must stop: \`stopped\` (a person stopped the job), \`superseded\` (another attempt took over) or \`deleted\`. ${AUTH}`,
    auth: 'worker', rateLimit: 'none', params: WorkerParams, body: WorkerHeartbeatSchema,
    responses: { 200: { description: 'What to stop, and the cadence', schema: WorkerHeartbeatAnswerSchema }, ...errorResponses(400, 409, 422) },
    handler: async ({ params, body, services }) => dispatchOf(services).heartbeat(params.worker_id, body),
  }),
  defineRoute({
    method: 'post', path: '/api/workers/{worker_id}/claims', operationId: 'claimWorkerJob', summary: 'Worker: claim the job attempt of a queue message', tags: ['workers'],
    description: `A compare-and-set on the job: a queued job (at that attempt) starts on this worker; a running job whose worker went silent becomes a new attempt from the stored checkpoint. Otherwise 409 with \`reason\`. ${AUTH}`,
    auth: 'worker', rateLimit: 'none', params: WorkerParams, body: WorkerClaimSchema,
    responses: { 200: { description: 'The work order', schema: WorkOrderSchema }, 409: { description: 'Refused: run nothing', schema: ClaimRefusal }, ...errorResponses(400, 404, 422) },
    handler: async ({ params, body, res, services }) => {
      try {
        return await dispatchOf(services).claim(params.worker_id, body);
      } catch (error) {
        if (!(error instanceof InvalidStateError) || !CLAIM_REASONS.has(error.reason ?? '')) throw error;
        res.status(409).json({ reason: error.reason, detail: error.message, code: error.reason });
        return undefined;
      }
    },
  }),
  defineRoute({
    method: 'post', path: '/api/workers/{worker_id}/jobs/{job_id}/exit', operationId: 'reportWorkerExit', summary: 'Worker: how the trainer of an attempt ended', tags: ['workers'],
    description: `The end-of-process rules of local runs: the agent's own report stands (exit facts added), a clean exit without it fails saying the reports never arrived, non-zero fails with the output tail. An exit of an older attempt or of another worker changes nothing (\`stored: false\`). ${AUTH}`,
    auth: 'worker', rateLimit: 'none', params: WorkerJobParams, body: WorkerExitSchema,
    responses: { 200: { description: 'Whether it counted', schema: WorkerExitAnswerSchema }, ...errorResponses(400, 404, 409, 422) },
    handler: async ({ params, body, services }) => dispatchOf(services).exit(params.worker_id, params.job_id, body),
  }),
  defineRoute({
    method: 'get', path: '/api/workers/jobs/{job_id}/dataset', operationId: 'downloadWorkerDataset', summary: 'Worker: the prepared dataset version of a claimed attempt (ZIP)', tags: ['workers'],
    description: `images/, labels/ and a data.yaml with relative paths (Ultralytics resolves them from its folder); for an llm-finetune, its processed instruction dataset folder (dataset_info.json and the split files LLaMA-Factory reads). ${AUTH}`,
    auth: 'worker', rateLimit: 'none', params: JobParams, query: AttemptQuery,
    responses: { 200: { description: 'The ZIP', contentType: 'application/zip' }, ...errorResponses(400, 404, 409) },
    handler: async ({ params, query, services }) => {
      const dispatch = dispatchOf(services);
      const job = await dispatch.attemptJob(params.job_id, query.attempt);
      if (job.kind === 'llm-finetune') {
        return { kind: 'stream', contentType: 'application/zip', filename: `${job.job_id}-dataset.zip`, stream: zipBlobFolder(services.blobs, await dispatch.attemptDatasetFolder(job)) };
      }
      return { kind: 'stream', contentType: 'application/zip', ...(await services.datasets.exportZip(job.dataset_id, { version: job.version, withLabels: true })) };
    },
  }),
  defineRoute({
    method: 'get', path: '/api/workers/jobs/{job_id}/weights', operationId: 'downloadWorkerWeights', summary: 'Worker: the weights a claimed attempt starts from', tags: ['workers'],
    description: `The stored checkpoint (last.pt) of a resumed attempt, or the job's start weights (a fine-tune's base, an extended job's parent weights); for an llm-finetune resume, its newest uploaded checkpoint-N folder as a ZIP. 404 when the work order named none. ${AUTH}`,
    auth: 'worker', rateLimit: 'none', params: JobParams, query: AttemptQuery,
    responses: { 200: { description: 'The weights file (a ZIP of the checkpoint folder for a fine-tune)', contentType: 'application/octet-stream' }, ...errorResponses(400, 404, 409) },
    handler: async ({ params, query, services }) => {
      const { key, folder } = await dispatchOf(services).attemptWeights(params.job_id, query.attempt);
      const name = key.split('/').pop() ?? 'weights.pt';
      if (folder) return { kind: 'stream', contentType: 'application/zip', filename: `${name}.zip`, stream: zipBlobFolder(services.blobs, key) };
      return { kind: 'stream', contentType: 'application/octet-stream', filename: name, stream: await services.blobs.read(key) };
    },
  }),
  listRoute('/workers', 'listWorkers'),
  listRoute('/api/workers', 'listApiWorkers'),
];
