import type { Dataset, EnsureResourceInput, Job, ProcessingTask, ResourceEntry } from '@yoloops/core';
import { finetuneProgress, taskStatusOfDataset, taskStatusOfJob, trainingProgress } from '@yoloops/core';
import type { z } from 'zod';
import type { AppServices } from '../services.js';
import type { TaskSchema } from './catalog.schemas.js';
import { indexed } from './catalog-views.js';

export type TaskView = z.infer<typeof TaskSchema>;

/** One piece of work before its progress is read: a training job, a dataset's preparation or an instruction dataset's processing run. */
export interface TaskRow {
  task: ResourceEntry;
  /** The job's or dataset's own entry (owner, project); a processing run's own task entry (its owner, its dataset's project). */
  owner: ResourceEntry;
  work: { type: 'training'; job: Job } | { type: 'dataset_preparation'; dataset: Dataset } | { type: 'dataset_processing'; run: ProcessingTask };
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

function processingRow(task: ResourceEntry, dataset: ResourceEntry | undefined, run: ProcessingTask): TaskRow {
  const name = text(dataset?.meta.name) ?? run.dataset_id;
  return {
    task, owner: task, work: { type: 'dataset_processing', run },
    view: {
      id: task.number, name: `process ${name} → ${run.output_name}`, type: 'dataset_processing', project_id: task.project_id, owner_id: task.owner_id,
      status: run.status, state: run.status, resource_id: run.task_id, resource_number: dataset?.number ?? task.number, created_at: run.created_at,
      started_at: run.created_at, finished_at: run.finished_at ?? null, error: run.error ?? null,
    },
  };
}

type Work = { id: string; at: string } & ({ job: Job } | { dataset: Dataset } | { run: ProcessingTask });

/** Every training job, uploaded dataset and processing run as a task, numbered (kind `task`) on first sight in creation order; oldest first. */
export async function taskRows(services: AppServices): Promise<TaskRow[]> {
  const [jobs, datasets, runs] = await Promise.all([services.jobs.list(), services.datasets.list(), services.instructions.listTasks()]);
  const owners = new Map<string, ResourceEntry>();
  for (const { entry } of await indexed(services, 'job', jobs, (j) => j.job_id)) owners.set(entry.id, entry);
  for (const { entry } of await indexed(services, 'dataset', datasets, (d) => d.dataset_id)) owners.set(entry.id, entry);
  for (const id of new Set(runs.map((r) => r.dataset_id))) {
    const entry = await services.resources.get('dataset', id);
    if (entry) owners.set(id, entry);
  }
  const work: Work[] = [
    ...jobs.map((job) => ({ id: job.job_id, at: job.created_at, job })),
    ...datasets.map((dataset) => ({ id: dataset.dataset_id, at: dataset.created_at, dataset })),
    ...runs.map((run) => ({ id: run.task_id, at: run.created_at, run })),
  ].sort((a, b) => (a.at === b.at ? (a.id < b.id ? 1 : -1) : a.at < b.at ? 1 : -1));
  const byId = new Map(work.map((w) => [w.id, w]));
  // A run belongs to whoever started it, in its dataset's project.
  const initOf = async (w: Work): Promise<EnsureResourceInput> => ('run' in w ? { owner_id: w.run.owner_id, project_id: owners.get(w.run.dataset_id)?.project_id ?? null } : {});
  const rows: TaskRow[] = [];
  for (const { entry } of await indexed(services, 'task', work, (w) => w.id, initOf)) {
    const item = byId.get(entry.id);
    if (item && 'run' in item) {
      rows.push(processingRow(entry, owners.get(item.run.dataset_id), item.run));
      continue;
    }
    const owner = owners.get(entry.id);
    if (!item || !owner) continue;
    rows.push('job' in item ? jobRow(entry, owner, item.job) : datasetRow(entry, owner, item.dataset));
  }
  return rows;
}

/** The row with its progress: 100 × epochs stored ÷ epochs planned for training (a fine-tune: the trainer's own percentage), 0 or 100 for a preparation, the run's own for processing. */
export async function taskView(services: AppServices, row: TaskRow): Promise<TaskView> {
  if (row.work.type === 'dataset_processing') return { ...row.view, progress: Math.round(row.work.run.progress * 10) / 10 };
  if (row.work.type === 'dataset_preparation') return { ...row.view, progress: row.work.dataset.status === 'prepared' ? 100 : 0 };
  const { job } = row.work;
  if (job.kind === 'llm-finetune') return { ...row.view, progress: finetuneProgress(job) };
  const epochsStored = (await services.jobMetrics.listEpochs(job.job_id)).length;
  return { ...row.view, progress: trainingProgress({ status: job.status, epochsStored, epochsPlanned: job.epochs }) };
}
