import { CreateJobRequestSchema, InvalidStateError, JobSchema, WorkerLabelsSchema } from '@yoloops/core';
import { z } from 'zod';
import { defineRoute, type Route } from '../http/route.js';
import { JobWithNotifyUrlSchema, withNotifyUrl } from './job-notify-url.js';
import { forgetResource, projectOf, recordOwner, visibleItems } from './ownership.js';
import { errorResponses, refParam } from './params.js';

const JobIdParams = z.object({ job_id: refParam('job_id', 'job', 'job_…') });

const JobList = z.object({ jobs: z.array(JobWithNotifyUrlSchema) }).meta({ id: 'TrainingJobList' });
const StopResult = z
  .object({ ok: z.boolean(), job_id: z.string().optional(), status: z.string().optional(), error: z.string().optional() })
  .meta({ id: 'StopTrainingJobResult', description: 'As the origin: `{ok:true}` when stopped, HTTP 200 `{ok:false, error:"Job not running"}` when it was not running.' });
const EpochRecordSchema = z
  .object({
    epoch: z.number().int(),
    attempt: z.number().int().describe('Job attempt (1 + resumes) that wrote the row.'),
    recorded_at: z.string(),
    metrics: z.record(z.string(), z.number().nullable()).describe('Canonical metric names → value (fractions); null = reported but not finite.'),
    non_finite: z.array(z.string()).optional().describe('Names whose reported value was NaN or ±Infinity.'),
  })
  .meta({ id: 'TrainingEpoch' });
const JobMetrics = z.object({ job_id: z.string(), epochs: z.array(EpochRecordSchema) }).meta({ id: 'TrainingJobMetrics' });
const EXTERNAL_409 = 'An external job (`external: true`) is run by its caller, so this answers 409 for it.';
const ResumeResult = z
  .object({ ok: z.literal(true), job_id: z.string(), status: z.string(), message: z.string() })
  .meta({ id: 'ResumeTrainingJobResult' });

export const trainingRoutes: Route[] = [
  defineRoute({
    method: 'post', path: '/train/jobs', operationId: 'createTrainingJob', summary: 'Create a training job', tags: ['training'],
    rateLimit: 'train',
    description: 'Queues the job (it starts when a slot is free; the origin answered `running` at once). The body is the origin\'s; the answer is `{job_id, status}` plus the whole job.',
    body: CreateJobRequestSchema,
    responses: { 200: { description: 'Queued', schema: JobSchema }, ...errorResponses(400, 404, 409, 422) },
    handler: async ({ body, res, services }) => {
      const job = await services.jobs.create(body);
      await recordOwner(services, res, 'job', job.job_id, { project_id: await projectOf(services, 'dataset', job.dataset_id) });
      return job;
    },
  }),
  defineRoute({
    method: 'get', path: '/train/jobs', operationId: 'listTrainingJobs', summary: 'List training jobs, newest first', tags: ['training'],
    description: 'A member sees what it owns and what belongs to its projects; an admin (or anyone with auth off) sees all.',
    responses: { 200: { description: 'All jobs', schema: JobList } },
    handler: async ({ req, res, services }) => {
      const jobs = await visibleItems(services, res, 'job', await services.jobs.list(), (job) => job.job_id);
      return { jobs: jobs.map((job) => withNotifyUrl(req, services, job)) };
    },
  }),
  defineRoute({
    method: 'get', path: '/train/jobs/{job_id}', operationId: 'getTrainingJob', summary: 'One training job', tags: ['training'],
    params: JobIdParams,
    responses: { 200: { description: 'The job, with its notify URL', schema: JobWithNotifyUrlSchema }, ...errorResponses(400, 404) },
    handler: async ({ params, req, services }) => withNotifyUrl(req, services, await services.jobs.get(params.job_id)),
  }),
  defineRoute({
    method: 'get', path: '/train/jobs/{job_id}/metrics', operationId: 'getTrainingJobMetrics', summary: 'A job\'s stored epochs', tags: ['training'],
    description: 'Every stored epoch of the job, ascending: one row per epoch (a repeated report replaces it), from the trainer agent, the notify routes or an external caller.',
    params: JobIdParams,
    responses: { 200: { description: 'The epochs', schema: JobMetrics }, ...errorResponses(400, 404) },
    handler: async ({ params, services }) => {
      const job = await services.jobs.get(params.job_id);
      return { job_id: job.job_id, epochs: await services.jobMetrics.listEpochs(job.job_id) };
    },
  }),
  defineRoute({
    method: 'post', path: '/train/jobs/{job_id}/stop', operationId: 'stopTrainingJob', summary: 'Stop a queued or running job', tags: ['training'],
    description: `SIGTERM to the trainer's process group, SIGKILL after the grace period; answers once the process is gone. ${EXTERNAL_409}`,
    params: JobIdParams,
    responses: { 200: { description: 'Stopped, or `{ok:false}` when it was not running', schema: StopResult }, ...errorResponses(400, 404, 409) },
    handler: async ({ params, services }) => {
      try {
        const job = await services.jobs.stop(params.job_id);
        return { ok: true, job_id: job.job_id, status: job.status };
      } catch (error) {
        if (error instanceof InvalidStateError && error.reason === 'not_running') return { ok: false, error: 'Job not running' };
        throw error;
      }
    },
  }),
  defineRoute({
    method: 'post', path: '/train/jobs/{job_id}/resume', operationId: 'resumeTrainingJob', summary: 'Resume a stopped, failed or crashed job from last.pt', tags: ['training'],
    rateLimit: 'train',
    description: EXTERNAL_409,
    params: JobIdParams,
    responses: { 200: { description: 'Queued again', schema: ResumeResult }, ...errorResponses(400, 404, 409) },
    handler: async ({ params, services }) => {
      const job = await services.jobs.resume(params.job_id);
      return { ok: true as const, job_id: job.job_id, status: job.status, message: 'Training resumed from checkpoint' };
    },
  }),
  defineRoute({
    method: 'delete', path: '/train/jobs/{job_id}', operationId: 'deleteTrainingJob', summary: 'Stop and delete a job, its log, run folder and metrics', tags: ['training'],
    description: 'A registered model of the job is kept. An external job is deleted whatever its status (its record and metrics; a later report of its caller registers it again).',
    params: JobIdParams,
    responses: { 200: { description: 'Deleted', schema: z.object({ ok: z.literal(true), message: z.string() }).meta({ id: 'TrainingJobDeleted' }) }, ...errorResponses(400, 404, 409) },
    handler: async ({ params, services }) => {
      await services.jobs.delete(params.job_id);
      await forgetResource(services, 'job', params.job_id);
      return { ok: true as const, message: `Job ${params.job_id} deleted` };
    },
  }),
  defineRoute({
    method: 'post', path: '/train/jobs/{job_id}/extend', operationId: 'extendTrainingJob', summary: 'Train a finished job for more epochs (a child job)', tags: ['training'],
    rateLimit: 'train',
    description: `Queues a child job (\`parent_job_id\`) that continues from this job's last (else best) weights for \`epochs\` more epochs. ${EXTERNAL_409}`,
    params: JobIdParams,
    body: z.object({
      epochs: z.number().int().min(1).max(100_000).describe('Extra epochs'),
      worker_labels: WorkerLabelsSchema.optional().describe('Dispatch mode: labels the child\'s worker must have (default: the parent\'s).'),
    }).meta({ id: 'ExtendTrainingJobRequest' }),
    responses: { 200: { description: 'The child job', schema: JobSchema }, ...errorResponses(400, 404, 409, 422) },
    handler: async ({ params, body, res, services }) => {
      const child = await services.jobs.extend(params.job_id, body.epochs, body.worker_labels === undefined ? {} : { workerLabels: body.worker_labels });
      await recordOwner(services, res, 'job', child.job_id, { project_id: await projectOf(services, 'job', params.job_id) });
      return child;
    },
  }),
];
