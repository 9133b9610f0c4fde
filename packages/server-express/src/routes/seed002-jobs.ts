import { BASE_DETECTORS, CoreError, jobConfig, jobKeys, lossSeries, readLastLogLines, trainingProgress, type EpochRecord, type Job, type ResourceEntry } from '@yoloops/core';
import type { Response } from 'express';
import { HttpError } from '../http/errors.js';
import { principalOf, type Principal } from '../http/principal.js';
import type { AppServices } from '../services.js';
import { mayUse } from './catalog-access.js';
import { finetuneJobFields } from './seed002-finetune-jobs.js';

/** Seed 002 facts kept in a job's ResourceIndex meta by `POST /training/submit`. */
export interface SubmitMeta {
  experiment_name?: string;
  template_id?: string;
  model_id?: string;
  hyperparameters?: Record<string, unknown>;
}

/** Whether a principal may see a resource: admins and auth-off see all, a member what it owns. */
export const mayView = (p: Principal, entry: Pick<ResourceEntry, 'owner_id'> & { project_id?: number | null }): boolean => mayUse(p, entry);

/** 404 in the route's dialect, naming what was not found. */
export const notFound = (what: string, code: string) => new HttpError(404, `${what} not found`, code);

/** Every job the request's principal may see, newest first, with its index entry. */
export async function visibleJobs(services: AppServices, res: Response): Promise<Array<{ job: Job; entry: ResourceEntry }>> {
  const p = principalOf(res);
  const out: Array<{ job: Job; entry: ResourceEntry }> = [];
  for (const job of await services.jobs.list()) {
    const entry = await services.resources.ensure('job', job.job_id);
    if (mayView(p, entry)) out.push({ job, entry });
  }
  return out;
}

/** A job by number (`3`) or job id, when the principal may see it; 404 otherwise. */
export async function findJob(services: AppServices, res: Response, ref: string): Promise<{ job: Job; entry: ResourceEntry } | undefined> {
  const byNumber = /^\d{1,15}$/.test(ref) ? await services.resources.byNumber('job', Number(ref)) : undefined;
  const job = await services.jobs.get(byNumber?.id ?? ref).catch((error: unknown) => {
    if (error instanceof CoreError && error.code === 'NOT_FOUND') return undefined;
    throw error;
  });
  if (job === undefined) return undefined;
  const entry = byNumber ?? (await services.resources.ensure('job', job.job_id));
  return mayView(principalOf(res), entry) ? { job, entry } : undefined;
}

/** 1 + the jobs queued before this one (by when they entered the queue); null when it is not queued. */
export function queuePosition(job: Job, all: readonly Job[]): number | null {
  if (job.status !== 'queued') return null;
  const at = (j: Job) => j.queued_at ?? j.created_at;
  return 1 + all.filter((j) => j.status === 'queued' && j.job_id !== job.job_id && at(j) < at(job)).length;
}

/** Highest epoch stored for the job (0 before the first). */
const epochsDone = (epochs: readonly EpochRecord[]) => epochs.reduce((m, e) => Math.max(m, e.epoch), 0);

/** Percent of planned epochs stored (100 once completed), as /api/v1/tasks reports it. */
export const jobProgress = (job: Job, epochs: readonly EpochRecord[]): number =>
  trainingProgress({ status: job.status, epochsStored: epochs.length, epochsPlanned: job.epochs });

/** `2h 5m`, `3m 20s`, `12s`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s >= 3600) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${s}s`;
}

/** Time left from the pace of this attempt's epochs so far ("0s" once completed); null when there is nothing to measure. */
export function jobEta(job: Job, epochs: readonly EpochRecord[]): string | null {
  if (job.status === 'completed') return '0s';
  const mine = epochs.filter((e) => e.attempt === job.attempt);
  const last = mine.at(-1);
  if (job.status !== 'running' || job.started_at === undefined || last === undefined) return null;
  const perEpoch = (Date.parse(last.recorded_at) - Date.parse(job.started_at)) / mine.length;
  return Number.isFinite(perEpoch) ? formatDuration(perEpoch * Math.max(0, job.epochs - epochsDone(epochs))) : null;
}

/** The model a job trains from, for people: a detector's name, else the registered model it fine-tunes. */
export const modelLabel = (job: Job): string =>
  job.base_model_id ?? BASE_DETECTORS.find((d) => d.id === job.model_name)?.name ?? job.model_name;

/** A job in the seed 002 shape (the origin's fake jobs' fields), over its real record, epochs and index entry. */
export async function toSeed002Job(services: AppServices, job: Job, entry: ResourceEntry, all: readonly Job[]) {
  const epochs = await services.jobMetrics.listEpochs(job.job_id);
  const meta = entry.meta as SubmitMeta;
  const datasetEntry = await services.resources.ensure('dataset', job.dataset_id);
  const last = epochs.at(-1);
  const loss = lossSeries([{ job_id: job.job_id, epochs }], 1).metrics;
  const done = Math.min(epochsDone(epochs), job.epochs);
  const view = {
    id: entry.number, number: entry.number, job_id: job.job_id,
    experiment_name: meta.experiment_name ?? job.job_id,
    model: modelLabel(job), model_id: meta.model_id ?? job.base_model_id ?? job.model_name,
    template: meta.template_id ?? (job.base_model_id === null ? 'yolo-detect' : 'yolo-finetune'),
    dataset_id: datasetEntry.number, dataset: job.dataset_id, version: job.version,
    project_id: entry.project_id, owner_id: entry.owner_id,
    status: job.status, progress: jobProgress(job, epochs),
    current_epoch: done, total_epochs: job.epochs, current_step: done, total_steps: job.epochs,
    loss: loss.final_loss, current_loss: loss.final_loss, best_loss: loss.best_loss, val_loss: loss.final_val_loss,
    metrics: last?.metrics ?? null,
    queue_position: queuePosition(job, all), estimated_start: null, eta: jobEta(job, epochs),
    created_at: job.created_at, start_time: job.started_at ?? null, started_at: job.started_at ?? null, finished_at: job.finished_at ?? null,
    error: job.error ?? null, result_model_id: job.model_id ?? null,
    config: { ...jobConfig(job), ...(meta.hyperparameters ? { hyperparameters: meta.hyperparameters } : {}) },
  };
  if (job.kind !== 'llm-finetune') return view;
  const finetune = await finetuneJobFields(services, job);
  return { ...view, ...finetune, template: meta.template_id ?? finetune.template, model_id: meta.model_id ?? finetune.model };
}

/** The last `n` lines of a job's log (empty before it starts). */
export async function lastLogLines(services: AppServices, jobId: string, n = 50): Promise<string[]> {
  return (await readLastLogLines(services.blobs, jobKeys(jobId).log, n)).lines;
}
