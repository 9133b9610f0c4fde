import { z } from 'zod';
import { GpuMetricSchema } from '../gpu/gpu.schema.js';
import { RESOURCE_ID_PATTERN } from '../platform/ids.js';

/** Worker ids: safe names (letters, digits, `.`, `_`, `-`), at most 64 characters, never a path. */
export const WORKER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Label keys: lowercase names such as `gpu` or `zone.eu`. */
export const WORKER_LABEL_KEY_PATTERN = /^[a-z0-9][a-z0-9._-]{0,31}$/;
/** Label values such as `a100`. */
export const WORKER_LABEL_VALUE_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
/** Most label pairs a job may require (and the largest label subset a worker's queues cover). */
export const MAX_WORKER_LABELS = 3;
/** Most labels a worker may have: it consumes one queue per label subset of ≤ 3 (6 labels → 42 queues). */
export const MAX_OWN_LABELS = 6;

/** A worker id (`POST /api/workers/{worker_id}/…`). */
export const WorkerIdSchema = z.string().regex(WORKER_ID_PATTERN, 'worker_id must be 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit');

/** Labels a job requires of the worker that takes it (≤ 3 pairs), e.g. `{ "gpu": "a100" }`. */
export const WorkerLabelsSchema = z
  .record(
    z.string().regex(WORKER_LABEL_KEY_PATTERN, 'label keys are 1–32 of a-z 0-9 . _ - starting with a letter or digit'),
    z.string().regex(WORKER_LABEL_VALUE_PATTERN, 'label values are 1–64 of A-Z a-z 0-9 . _ -'),
  )
  .refine((labels) => Object.keys(labels).length <= MAX_WORKER_LABELS, `at most ${MAX_WORKER_LABELS} labels`)
  .meta({ id: 'WorkerLabels', description: 'Labels a worker must have to take the job (≤ 3 pairs), e.g. {"gpu": "a100"}.' });
/** Job labels: key → value. */
export type WorkerLabels = z.infer<typeof WorkerLabelsSchema>;

/** Labels a worker has; more than a job may require (its queues cover every subset of ≤ 3). */
export const WorkerOwnLabelsSchema = z
  .record(z.string().regex(WORKER_LABEL_KEY_PATTERN), z.string().regex(WORKER_LABEL_VALUE_PATTERN))
  .refine((labels) => Object.keys(labels).length <= MAX_OWN_LABELS, `at most ${MAX_OWN_LABELS} worker labels`)
  .meta({ id: 'WorkerOwnLabels', description: 'Labels of a worker (≤ 6 pairs: it consumes one queue per subset of ≤ 3).' });

/** One job attempt a worker runs. */
export const WorkerJobRefSchema = z
  .object({ job_id: z.string().regex(RESOURCE_ID_PATTERN, 'job_id must be 1–128 letters, digits, "_" or "-"'), attempt: z.number().int().min(1) })
  .meta({ id: 'WorkerJobRef' });
/** A job attempt held by a worker. */
export type WorkerJobRef = z.infer<typeof WorkerJobRefSchema>;

/** Body of `POST /api/workers/{worker_id}/heartbeat` (every ~2 s). */
export const WorkerHeartbeatSchema = z
  .object({
    labels: WorkerOwnLabelsSchema.default({}),
    concurrency: z.number().int().min(1).max(64).default(1),
    hostname: z.string().max(255).default(''),
    version: z.string().max(64).default(''),
    jobs: z.array(WorkerJobRefSchema).max(64).default([]).describe('Attempts the worker runs right now.'),
    gpus: z.array(GpuMetricSchema).max(64).default([]).describe('The worker\'s GPUs, as GET /api/v1/gpu reports them.'),
  })
  .meta({ id: 'WorkerHeartbeat' });
/** A heartbeat as sent (defaults optional). */
export type WorkerHeartbeatInput = z.input<typeof WorkerHeartbeatSchema>;
/** A parsed heartbeat. */
export type WorkerHeartbeat = z.infer<typeof WorkerHeartbeatSchema>;

/** Why the server no longer wants a job attempt on a worker. */
export const WorkerCancelReasonSchema = z.enum(['stopped', 'superseded', 'deleted']).meta({ id: 'WorkerCancelReason' });
/** A job attempt the worker must stop (SIGINT for llm-finetune, then SIGTERM → SIGKILL). */
export const WorkerCancelSchema = z
  .object({ job_id: z.string(), attempt: z.number().int(), reason: WorkerCancelReasonSchema })
  .meta({ id: 'WorkerCancel' });
export type WorkerCancel = z.infer<typeof WorkerCancelSchema>;

/** Answer of a heartbeat: attempts to stop, and the cadence the server expects. */
export const WorkerHeartbeatAnswerSchema = z
  .object({
    cancel: z.array(WorkerCancelSchema),
    heartbeat_ms: z.number().int().describe('How often to send a heartbeat.'),
    timeout_ms: z.number().int().describe('A worker silent this long is taken for dead: its jobs go to another worker.'),
  })
  .meta({ id: 'WorkerHeartbeatAnswer' });
export type WorkerHeartbeatAnswer = z.infer<typeof WorkerHeartbeatAnswerSchema>;

/** Body of `POST /api/workers/{worker_id}/claims`: the BullMQ message the worker received. */
export const WorkerClaimSchema = WorkerJobRefSchema.meta({ id: 'WorkerClaim' });
export type WorkerClaim = z.infer<typeof WorkerClaimSchema>;

/** Why a claim was refused (409): the worker completes the message and runs nothing. */
export const ClaimRefusalReasonSchema = z.enum(['not_queued', 'held_by_live_worker', 'attempt_superseded', 'labels_mismatch']).meta({ id: 'ClaimRefusalReason' });
export type ClaimRefusalReason = z.infer<typeof ClaimRefusalReasonSchema>;

/** What a worker runs for a claimed attempt (200 of a claim). */
export const WorkOrderSchema = z
  .object({
    job_id: z.string(),
    attempt: z.number().int().describe('The attempt the worker runs; every report carries it (older attempts are ignored).'),
    kind: z.enum(['detect', 'llm-finetune']),
    agent_token: z.string().nullable().describe('YOLOOPS_AGENT_TOKEN for the agent (scoped to this job); null when the server needs none.'),
    trainer: z.array(z.string()).describe('Trainer argv template (train or resume); the worker fills {data} {project} {run_dir} {model} with its local paths.'),
    resume: z.boolean().describe('true: `trainer` is the resume template and {model} is the checkpoint of `weights`.'),
    values: z.object({
      epochs: z.string(), imgsz: z.string(), batch: z.string(), name: z.string(), job_id: z.string(),
      model: z.string().optional().describe('{model} when no weights are downloaded (a name the trainer fetches itself, e.g. yolov8n.pt).'),
    }),
    dataset: z.object({
      url: z.string().describe('Path (relative to the server) of the prepared version as a ZIP with data.yaml (relative paths), images and labels; for an llm-finetune, the processed instruction dataset folder as a ZIP (dataset_info.json and its files).'),
      dataset_id: z.string(),
      version: z.string(),
    }),
    weights: z.object({
      url: z.string(),
      file_name: z.string(),
      folder: z.boolean().default(false).describe('true: a ZIP of a checkpoint-N folder (an llm-finetune resume) that the worker unpacks as file_name in its run folder.'),
    }).nullable().describe('Weights to download; {model} is then that local file (a detector), or resume_from_checkpoint that folder (a fine-tune).'),
    finetune: z.object({
      arguments: z.record(z.string(), z.unknown()).describe('LLaMA-Factory train arguments, less dataset_dir, output_dir and resume_from_checkpoint, which the worker sets to its own paths and writes as the {config} YAML.'),
    }).nullable().default(null).describe('An llm-finetune attempt\'s trainer configuration; null for a detector.'),
  })
  .meta({ id: 'WorkOrder' });
export type WorkOrder = z.infer<typeof WorkOrderSchema>;

/** Body of `POST /api/workers/{worker_id}/jobs/{job_id}/exit`: how the trainer process of an attempt ended. */
export const WorkerExitSchema = z
  .object({
    attempt: z.number().int().min(1),
    code: z.number().int().nullable(),
    signal: z.string().max(32).nullable(),
    output_tail: z.string().max(4000).default(''),
  })
  .meta({ id: 'WorkerExit' });
export type WorkerExitInput = z.input<typeof WorkerExitSchema>;
export type WorkerExit = z.infer<typeof WorkerExitSchema>;

/** Answer of an exit: whether it counted (false: from an older attempt, or another worker's). */
export const WorkerExitAnswerSchema = z
  .object({ stored: z.boolean(), status: z.string().describe('The job\'s status after the exit.') })
  .meta({ id: 'WorkerExitAnswer' });
export type WorkerExitAnswer = z.infer<typeof WorkerExitAnswerSchema>;

/** A worker as the server last heard of it (the store's record). */
export interface WorkerRecord {
  worker_id: string;
  labels: Record<string, string>;
  hostname: string;
  concurrency: number;
  version: string;
  jobs: WorkerJobRef[];
  gpus: WorkerHeartbeat['gpus'];
  /** ISO time of the last heartbeat. */
  last_heartbeat: string;
}

/** One worker of `GET /workers`. */
export const WorkerViewSchema = z
  .object({
    worker_id: z.string(),
    labels: z.record(z.string(), z.string()),
    hostname: z.string(),
    concurrency: z.number().int(),
    version: z.string(),
    current_job: z.string().nullable().describe('The first job it runs, or null when idle.'),
    jobs: z.array(WorkerJobRefSchema),
    last_heartbeat: z.string(),
    alive: z.boolean().describe('Heartbeat newer than the worker timeout.'),
    gpus: z.array(GpuMetricSchema),
  })
  .meta({ id: 'Worker' });
export type WorkerView = z.infer<typeof WorkerViewSchema>;
