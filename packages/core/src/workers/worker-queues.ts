import { z } from 'zod';
import { MAX_WORKER_LABELS, type WorkerJobRef } from './worker.schema.js';

/** The queue of jobs that require no label. */
export const BASE_QUEUE = 'train';

/** The message a dispatcher puts on a queue: which attempt of which job is to be claimed. */
export const DispatchMessageSchema = z.object({ job_id: z.string().min(1).max(128), attempt: z.number().int().min(1) });
/** A dispatch message's data. */
export type DispatchMessage = z.infer<typeof DispatchMessageSchema>;

const pairs = (labels: Readonly<Record<string, string>>) => Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/**
 * BullMQ queue name of a job's label set: `train` without labels, else `train.k1=v1+k2=v2` (keys sorted).
 * BullMQ forbids only `:` in queue names; label keys and values never contain `=`, `+` or `:`, so the name is unambiguous.
 * @example queueNameFor({ zone: 'eu', gpu: 'a100' }) // 'train.gpu=a100+zone=eu'
 */
export function queueNameFor(labels: Readonly<Record<string, string>> | undefined): string {
  const sorted = pairs(labels ?? {});
  return sorted.length === 0 ? BASE_QUEUE : `${BASE_QUEUE}.${sorted.map(([k, v]) => `${k}=${v}`).join('+')}`;
}

/** Whether a worker with `workerLabels` may take a job requiring `jobLabels` (every required pair present, same value). */
export function labelsSatisfy(workerLabels: Readonly<Record<string, string>>, jobLabels: Readonly<Record<string, string>> | undefined): boolean {
  return Object.entries(jobLabels ?? {}).every(([k, v]) => workerLabels[k] === v);
}

/** Every queue a worker with these labels consumes: one per label subset of size ≤ 3 (the empty set is `train`), sorted. */
export function queuesForWorker(workerLabels: Readonly<Record<string, string>>): string[] {
  const all = pairs(workerLabels);
  const names = new Set<string>();
  const walk = (start: number, chosen: [string, string][]) => {
    names.add(queueNameFor(Object.fromEntries(chosen)));
    if (chosen.length === MAX_WORKER_LABELS) return;
    for (let i = start; i < all.length; i++) walk(i + 1, [...chosen, all[i] as [string, string]]);
  };
  walk(0, []);
  return [...names].sort();
}

/**
 * BullMQ job id of an attempt's dispatch: `<job_id>.<attempt>`, so dispatching the same attempt twice adds one message.
 * BullMQ refuses custom ids that are integers or contain `:`; job ids are `[A-Za-z0-9_-]` and the dot makes it no integer.
 */
export const dispatchJobId = (ref: WorkerJobRef): string => `${ref.job_id}.${ref.attempt}`;

/** BullMQ job id of a re-delivery (the attempt's worker went silent): `<job_id>.<attempt>.r`. */
export const redeliveryJobId = (ref: WorkerJobRef): string => `${dispatchJobId(ref)}.r`;
