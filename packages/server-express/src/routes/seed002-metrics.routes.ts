import { lossSeries, type Job, type ResourceEntry } from '@yoloops/core';
import type { Response } from 'express';
import { z } from 'zod';
import { HttpError } from '../http/errors.js';
import { defineRoute, type Route } from '../http/route.js';
import type { AppServices } from '../services.js';
import { errorResponses, nameParam } from './params.js';
import { lossRunOf, stepsOf } from './seed002-finetune-jobs.js';
import { findJob, jobEta, notFound, visibleJobs, type SubmitMeta } from './seed002-jobs.js';

const S002 = { dialect: 's002' as const, tags: ['s002-metrics'] };
const Steps = z.coerce.number().int().min(1).max(100_000).default(100).describe('Point budget: at most this many points come back (LTTB).');
const nullableNumber = z.number().nullable();

const LossPoint = z.object({
  step: z.number().int().describe('1-based, continuing across the experiment\'s jobs.'), epoch: z.number().int().describe('The job\'s own epoch.'),
  loss: nullableNumber.describe('Training loss: a reported loss, else the sum of the train components (YOLO: box + cls + dfl).'),
  val_loss: nullableNumber, components: z.record(z.string(), nullableNumber).describe('Every *_loss value of the epoch.'),
  job_id: z.string(), timestamp: z.string().describe('When the epoch was recorded.'),
  trainer_step: z.number().int().optional().describe('A fine-tune\'s own logging step (its epoch is the integer part of the fractional epoch).'),
});
const LossResult = z
  .object({
    experiment_id: z.string(), experiment_name: z.string(), jobs: z.array(z.string()),
    total_steps: z.number().int().describe('Epochs with a loss, before thinning.'), data: z.array(LossPoint),
    metrics: z.object({
      initial_loss: nullableNumber, final_loss: nullableNumber, best_loss: nullableNumber, best_step: z.number().int().nullable(),
      final_val_loss: nullableNumber, best_val_loss: nullableNumber,
    }),
  })
  .meta({ id: 'Seed002LossSeries' });

type Found = { job: Job; entry: ResourceEntry };
const experimentOf = (f: Found) => (f.entry.meta as SubmitMeta).experiment_name;
const oldestFirst = (a: Found, b: Found) => a.entry.number - b.entry.number;

/** The jobs of an experiment: a job (number or id), else every job submitted under that experiment name; undefined when none. */
async function experimentJobs(services: AppServices, res: Response, ref: string): Promise<{ name: string; jobs: Found[] } | undefined> {
  const one = await findJob(services, res, ref);
  if (one) return { name: experimentOf(one) ?? one.job.job_id, jobs: [one] };
  const named = (await visibleJobs(services, res)).filter((f) => experimentOf(f) === ref).sort(oldestFirst);
  return named.length > 0 ? { name: ref, jobs: named } : undefined;
}

async function lossOf(services: AppServices, res: Response, ref: string | undefined, steps: number) {
  let experiment: { name: string; jobs: Found[] } | undefined;
  let id = ref;
  if (ref === undefined) {
    for (const f of await visibleJobs(services, res)) {
      const run = await lossRunOf(services, f.job);
      if (('steps' in run ? run.steps : run.epochs).length === 0) continue;
      experiment = { name: experimentOf(f) ?? f.job.job_id, jobs: [f] };
      id = f.job.job_id;
      break;
    }
    if (!experiment) throw new HttpError(404, 'No training job has recorded an epoch yet', 'experiment_not_found');
  } else {
    experiment = await experimentJobs(services, res, ref);
    if (!experiment) throw notFound(`Experiment ${ref}`, 'experiment_not_found');
  }
  const runs = await Promise.all(experiment.jobs.map((f) => lossRunOf(services, f.job)));
  return { experiment_id: id!, experiment_name: experiment.name, jobs: runs.map((r) => r.job_id), ...lossSeries(runs, steps) };
}

const Summary = z
  .object({
    experiments: z.array(
      z.object({
        id: z.string().describe('The experiment name, or the job id of a job submitted without one.'), name: z.string(), jobs: z.array(z.string()),
        status: z.string().describe('Of its newest job.'), project_id: z.number().int().nullable(),
        current_step: z.number().int(), total_steps: z.number().int().describe('Epochs (fine-tunes: trainer steps) planned over its jobs.'),
        current_loss: nullableNumber, final_loss: nullableNumber, best_loss: nullableNumber, eta: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: 'Seed002MetricsSummary' });

async function summary(services: AppServices, res: Response) {
  const groups = new Map<string, Found[]>();
  for (const f of (await visibleJobs(services, res)).sort(oldestFirst)) {
    const key = experimentOf(f) ?? f.job.job_id;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  const experiments = [];
  for (const [name, jobs] of groups) {
    const runs = await Promise.all(jobs.map((f) => lossRunOf(services, f.job)));
    const { metrics, total_steps: done } = lossSeries(runs, 1);
    const newest = jobs.at(-1)!;
    const newestRun = runs.at(-1)!;
    const planned = (await Promise.all(jobs.map((f) => stepsOf(services, f.job)))).reduce((n, s) => n + s.planned, 0);
    experiments.push({
      id: name, name, jobs: runs.map((r) => r.job_id), status: newest.job.status, project_id: newest.entry.project_id,
      current_step: done, total_steps: planned,
      current_loss: metrics.final_loss, final_loss: metrics.final_loss, best_loss: metrics.best_loss,
      eta: 'steps' in newestRun ? (newest.job.status === 'running' ? (newest.job.progress?.remaining_time ?? null) : null) : jobEta(newest.job, newestRun.epochs),
    });
  }
  return { experiments };
}

export const seed002MetricsRoutes: Route[] = [
  defineRoute({
    method: 'get', path: '/api/v1/metrics/loss', operationId: 'getSeed002Loss', summary: 'The real loss curve of an experiment', ...S002,
    description:
      '`experiment_id`: a job (number or job id) or an experiment name given at submit (all its jobs, oldest first, steps continuing). Without it: the newest job with recorded epochs or steps. ' +
      'One point per stored epoch; for a language-model fine-tune one point per logged trainer step (`trainer_step`; `loss`, `val_loss` = eval_loss). At most `steps` points (LTTB).',
    query: z.object({ experiment_id: nameParam('experiment_id').optional(), steps: Steps }),
    responses: { 200: { description: 'The series', schema: LossResult }, ...errorResponses(404, 422) },
    handler: ({ query, services, res }) => lossOf(services, res, query.experiment_id, query.steps),
  }),
  defineRoute({
    method: 'get', path: '/api/v1/metrics/loss/{experiment_id}', operationId: 'getSeed002ExperimentLoss', summary: 'The loss curve of one experiment', ...S002,
    params: z.object({ experiment_id: nameParam('experiment_id') }),
    query: z.object({ steps: Steps }),
    responses: { 200: { description: 'The series', schema: LossResult }, ...errorResponses(404, 422) },
    handler: ({ params, query, services, res }) => lossOf(services, res, params.experiment_id, query.steps),
  }),
  defineRoute({
    method: 'get', path: '/api/v1/metrics/metrics/summary', operationId: 'getSeed002MetricsSummary', summary: 'Every experiment with its jobs and losses', ...S002,
    responses: { 200: { description: 'Experiments, oldest first', schema: Summary } },
    handler: ({ services, res }) => summary(services, res),
  }),
];
