import type { Dataset, Job, ResourceEntry } from '@yoloops/core';
import { taskStatusOfDataset, taskStatusOfJob, trainingProgress } from '@yoloops/core';
import type { z } from 'zod';
import type { AppServices } from '../services.js';
import type { TaskSchema } from './catalog.schemas.js';
import { indexed } from './catalog-views.js';

export type TaskView = z.infer<typeof TaskSchema>;

/** One piece of work before its progress is read: a training job or a dataset's preparation. */
export interface TaskRow {
  task: ResourceEntry;
  /** The job's or dataset's own entry (owner, project). */
  owner: ResourceEntry;
  work: { type: 'training'; job: Job } | { type: 'dataset_preparation'; dataset: Dataset };
  view: Omit<TaskView, 'progress'>;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

function jobRow(task: ResourceEntry, owner: ResourceEntry, job: Job): TaskRow {
  return {
    task, owner, work: { type: 'training', job },
    view: {
      id: task.number, name: text(owner.meta.experiment_name) ?? job.job_id, type: 'training', project_id: owner.project_id, owner_id: owner.owner_id,
      status: taskStatusOfJob(job.status), state: job.status, resource_id: job.job_id, resource_number: owner.number, created_at: job.created_at,
      started_at: job.started_at ?? null, finished_at: job.finished_at ?? null, error: job.error ?? null,
    },
  };
}

function datasetRow(task: ResourceEntry, owner: ResourceEntry, ds: Dataset): TaskRow {
  const name = text(owner.meta.name) ?? ds.filename.replace(/\.zip$/i, '');
  return {
    task, owner, work: { type: 'dataset_preparation', dataset: ds },
    view: {
      id: task.number, name: `prepare ${name}`, type: 'dataset_preparation', project_id: owner.project_id, owner_id: owner.owner_id,
      status: taskStatusOfDataset(ds), state: ds.status, resource_id: ds.dataset_id, resource_number: owner.number, created_at: ds.created_at,
      started_at: null, finished_at: ds.prepared_at ?? null, error: ds.error ?? null,
    },
  };
}

/** Every training job and uploaded dataset as a task, numbered (kind `task`) on first sight in creation order; oldest first. */
export async function taskRows(services: AppServices): Promise<TaskRow[]> {
  const [jobs, datasets] = await Promise.all([services.jobs.list(), services.datasets.list()]);
  const owners = new Map<string, ResourceEntry>();
  for (const { entry } of await indexed(services, 'job', jobs, (j) => j.job_id)) owners.set(entry.id, entry);
  for (const { entry } of await indexed(services, 'dataset', datasets, (d) => d.dataset_id)) owners.set(entry.id, entry);
  const work = [
    ...jobs.map((job) => ({ id: job.job_id, at: job.created_at, job })),
    ...datasets.map((dataset) => ({ id: dataset.dataset_id, at: dataset.created_at, dataset })),
  ].sort((a, b) => (a.at === b.at ? (a.id < b.id ? 1 : -1) : a.at < b.at ? 1 : -1));
  const byId = new Map(work.map((w) => [w.id, w]));
  const rows: TaskRow[] = [];
  for (const { entry } of await indexed(services, 'task', work, (w) => w.id)) {
    const item = byId.get(entry.id);
    const owner = owners.get(entry.id);
    if (!item || !owner) continue;
    rows.push('job' in item ? jobRow(entry, owner, item.job) : datasetRow(entry, owner, item.dataset));
  }
  return rows;
}

/** The row with its progress: 100 × epochs stored ÷ epochs planned for training, 0 or 100 for a preparation. */
export async function taskView(services: AppServices, row: TaskRow): Promise<TaskView> {
  if (row.work.type === 'dataset_preparation') return { ...row.view, progress: row.work.dataset.status === 'prepared' ? 100 : 0 };
  const { job } = row.work;
  const epochsStored = (await services.jobMetrics.listEpochs(job.job_id)).length;
  return { ...row.view, progress: trainingProgress({ status: job.status, epochsStored, epochsPlanned: job.epochs }) };
}
