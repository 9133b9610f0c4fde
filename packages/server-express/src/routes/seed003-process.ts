import { NotFoundError, type ProcessResult } from '@yoloops/core';
import type { Response } from 'express';
import type { z } from 'zod';
import { ownerIdOf, principalOf } from '../http/principal.js';
import { resolveResource } from '../http/resource-access.js';
import type { DatasetProcessRequest } from '../seed003/validation.js';
import type { AppServices } from '../services.js';
import { datasetNotFound, isInstructionId } from './catalog-dataset-union.js';
import { PROCESS_RUNNING_MESSAGE, type Seed003ProcessRunningSchema } from './seed003-datasets.schemas.js';

/** How long `POST /api/v1/datasets/process` waits for its run before answering 202 (below common 30 s proxy timeouts). */
export const DEFAULT_PROCESS_WAIT_S = 25;

/** The run's result if it ends within `ms`, else undefined; a run that fails within `ms` rejects. */
async function within<T>(done: Promise<T>, ms: number): Promise<T | undefined> {
  if (ms <= 0) return undefined;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([done, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The instruction dataset id a `dataset_id` names (an id or a number as text) if the caller may see it, else the 404. */
async function instructionId(services: AppServices, res: Response, ref: string): Promise<string> {
  const id = await resolveResource(services, principalOf(res), 'dataset', ref);
  if (id === undefined) throw datasetNotFound();
  if (!isInstructionId(id)) {
    const known = await services.resources.get('dataset', id);
    if (known) throw new NotFoundError(`Dataset ${known.number} is not an instruction dataset: only datasets uploaded as JSON, JSON Lines or CSV are processed`, { reason: 'not_found' });
    throw datasetNotFound();
  }
  await services.instructions.get(id).catch(() => Promise.reject(datasetNotFound()));
  return id;
}

export interface ProcessOptions {
  body: DatasetProcessRequest;
  /** `seed` of the raw body (ours; the core checks it is an integer). */
  seed: unknown;
  waitS: number;
}

/**
 * Seed 003's `POST /datasets/process` as a recorded run: answers the seed's body (200, status
 * `completed`) when the run ends within `waitS`, else 202 with status `running` and the task id to
 * poll at `GET /api/v1/tasks/{task_id}`. The run belongs to the caller.
 */
export async function processForSeed003(services: AppServices, res: Response, options: ProcessOptions): Promise<ProcessResult | undefined> {
  const { body } = options;
  const datasetId = await instructionId(services, res, body.dataset_id);
  const { task, done } = await services.instructions.startProcess({
    datasetId, outputName: body.output_name, trainRatio: body.train_ratio, valRatio: body.val_ratio, testRatio: body.test_ratio,
    ...(body.template === undefined ? {} : { template: body.template }),
    ...(options.seed === undefined ? {} : { seed: options.seed as number }),
    ownerId: ownerIdOf(principalOf(res)),
  });
  done.catch(() => undefined); // a run that fails after the 202 is recorded on its task
  const result = await within(done, options.waitS * 1000);
  if (result) return result;
  const current = await services.instructions.getTask(task.task_id).catch(() => task);
  if (current.result) return current.result;
  const running: z.infer<typeof Seed003ProcessRunningSchema> = {
    task_id: task.task_id, status: 'running', dataset_id: datasetId, output_path: null, splits: null, progress: current.progress, message: PROCESS_RUNNING_MESSAGE, processed_at: null,
  };
  res.status(202).json(running);
  return undefined;
}
