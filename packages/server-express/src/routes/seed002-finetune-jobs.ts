import path from 'node:path';
import { finetuneProgress, lossSeries, type FinetuningType, type Job, type LossRun, type StepRecord } from '@yoloops/core';
import type { AppServices } from '../services.js';

/** Seed 002's template id of a fine-tune's method. */
export const TEMPLATE_OF: Record<FinetuningType, string> = { lora: 'lora', qlora: 'qlora', full: 'full-finetune' };

/** A job's loss run: a fine-tune's logging steps, a detector's epochs. */
export async function lossRunOf(services: AppServices, job: Job): Promise<LossRun> {
  return job.kind === 'llm-finetune'
    ? { job_id: job.job_id, steps: await services.jobMetrics.listSteps(job.job_id) }
    : { job_id: job.job_id, epochs: await services.jobMetrics.listEpochs(job.job_id) };
}

/** Steps done and planned of a job, as seed 002's `current_step`/`total_steps`: a fine-tune's trainer steps, a detector's epochs. */
export async function stepsOf(services: AppServices, job: Job): Promise<{ done: number; planned: number }> {
  if (job.kind === 'llm-finetune') return { done: job.progress?.current_steps ?? 0, planned: job.progress?.total_steps ?? 0 };
  const epochs = await services.jobMetrics.listEpochs(job.job_id);
  return { done: Math.min(epochs.reduce((m, e) => Math.max(m, e.epoch), 0), job.epochs), planned: job.epochs };
}

const lastEpoch = (steps: readonly StepRecord[]): number => {
  const value = steps.findLast((s) => typeof s.values.epoch === 'number')?.values.epoch;
  return typeof value === 'number' ? Math.floor(value) : 0;
};

/**
 * The fields of seed 002's job shape that a fine-tune fills from its own record: trainer steps and
 * progress, the loss of its logging steps, the base model, the template of its method, the processed output.
 */
export async function finetuneJobFields(services: AppServices, job: Job) {
  const steps = await services.jobMetrics.listSteps(job.job_id);
  const loss = lossSeries([{ job_id: job.job_id, steps }], 1).metrics;
  const llm = job.llm;
  return {
    model: llm?.base_model ?? job.model_name, base_model: llm?.base_model ?? null, template: llm ? TEMPLATE_OF[llm.finetuning_type] : 'lora',
    version: llm ? path.basename(llm.dataset_dir) : job.version, kind: 'llm-finetune' as const,
    progress: finetuneProgress(job), current_epoch: Math.min(lastEpoch(steps), job.epochs), total_epochs: job.epochs,
    current_step: job.progress?.current_steps ?? steps.at(-1)?.step ?? 0, total_steps: job.progress?.total_steps ?? 0,
    loss: loss.final_loss, current_loss: loss.final_loss, best_loss: loss.best_loss, val_loss: loss.final_val_loss,
    metrics: steps.at(-1)?.values ?? null,
    eta: job.status === 'completed' ? '0s' : job.status === 'running' ? (job.progress?.remaining_time ?? null) : null,
    llm: llm ?? null,
  };
}
