import { z } from 'zod';
import { RESOURCE_ID_PATTERN } from '../platform/ids.js';
import { WorkerLabelsSchema } from '../workers/worker.schema.js';
import { FinetuneOutputsSchema } from './finetune-outputs.schema.js';
import { JobKindSchema, JobProgressSchema, LlmFinetuneSchema } from './finetune.schema.js';

/** Lifecycle states of a training job; moves are governed by `TRANSITIONS` in job-state.ts. */
export const JobStatusSchema = z
  .enum(['queued', 'running', 'completed', 'failed', 'stopped', 'crashed'])
  .meta({ id: 'TrainingJobStatus', description: 'queued → running → completed | failed | stopped | crashed; stopped, failed and crashed can be resumed (→ queued).' });
/** One of the six job states. */
export type JobStatus = z.infer<typeof JobStatusSchema>;

/** An argv template: each element is one argument, `{data}`-style placeholders filled per job; never a shell string. */
export const ArgvTemplateSchema = z.array(z.string().max(4096)).min(1).max(256).meta({ id: 'ArgvTemplate' });

/** Trainer argv templates for fresh training and for resuming from last.pt. */
export const TrainerCommandSchema = z
  .object({
    train: ArgvTemplateSchema.describe('Fresh training; placeholders {data} {model} {epochs} {imgsz} {batch} {project} {name}.'),
    resume: ArgvTemplateSchema.describe('Resume from a checkpoint; {model} is the last.pt path.'),
  })
  .meta({ id: 'TrainerCommand' });
/** Trainer argv templates. */
export type TrainerCommand = z.infer<typeof TrainerCommandSchema>;

const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const VERSION = /^v\d{1,6}$/;
const BATCH = z
  .number()
  .refine((b) => b === -1 || (b > 0 && b < 1) || (Number.isInteger(b) && b >= 1 && b <= 4096), 'batch must be -1 (auto), a GPU-memory fraction in (0, 1) or a size 1–4096');

/** A training job: the origin's job file (`jobs/<job_id>.json`) plus process and lineage fields. */
export const JobSchema = z
  .object({
    job_id: z.string(),
    dataset_id: z.string(),
    version: z.string(),
    model_name: z.string().describe('Model the job trains; `<base_model_id>_fine_tuned` for fine-tunes.'),
    base_model_id: z.string().nullable(),
    original_model_path: z.string().describe('Weights the first attempt started from (a path, or a model name the trainer downloads).'),
    epochs: z.number().int(),
    imgsz: z.number().int(),
    batch: z.number(),
    status: JobStatusSchema,
    created_at: z.string(),
    queued_at: z.string().optional().describe('When the job last entered the queue (creation or resume).'),
    started_at: z.string().optional(),
    finished_at: z.string().optional(),
    completed_at: z.string().optional(),
    failed_at: z.string().optional(),
    stopped_at: z.string().optional(),
    crashed_at: z.string().optional(),
    crashed: z.boolean().optional().describe('Set once the job has crashed at least once (origin field).'),
    resumed_at: z.string().optional(),
    resume_count: z.number().int().optional(),
    can_resume: z.boolean().optional(),
    log_file: z.string().describe('Absolute path of the job log (stdout and stderr of every attempt).'),
    run_dir: z.string().describe('Absolute path of the run folder (`<project>/train`): results.csv, weights/.'),
    model_id: z.string().optional(),
    parent_job_id: z.string().optional().describe('Job this one extends (set by extend).'),
    epoch_offset: z.number().int().optional().describe('Epochs already trained by the parent chain before this job (extend).'),
    resumed_from: z.string().optional().describe('Checkpoint the current attempt resumes from.'),
    error: z.string().optional(),
    pid: z.number().int().optional().describe('Process (and process group) id of the current attempt.'),
    exit_code: z.number().int().optional(),
    signal: z.string().optional(),
    attempt: z.number().int().describe('1 for the first run, +1 on every resume.'),
    command: z.array(z.string()).describe('Argv of the current attempt as actually run (empty until it starts).'),
    trainer_command: TrainerCommandSchema.optional().describe('Per-job trainer template, when it overrides the server default.'),
    external: z
      .boolean()
      .optional()
      .describe(
        'true: run by its caller, a seed 004 trainer that made its own 32-hex task id and whose first report registered the job. Nothing runs here ' +
          '(no pid, `command` [], `log_file` and `run_dir` ""); `dataset_id`, `version` and `model_name` are "external", `imgsz` and `batch` 0, `epochs` ' +
          'the highest epoch reported so far. Its status follows its reports; stop, resume and extend answer 409.',
      ),
    kind: JobKindSchema.optional().describe('What the job trains; absent = detect (every job stored before fine-tuning existed).'),
    llm: LlmFinetuneSchema.optional().describe('llm-finetune: the resolved fine-tune configuration the trainer YAML is written from.'),
    progress: JobProgressSchema.optional().describe('llm-finetune: the trainer\'s last reported step progress.'),
    outputs: FinetuneOutputsSchema.optional().describe('llm-finetune: what the completed run produced (adapter, GGUF files, final metrics).'),
    completion_error: z.string().optional().describe('Why collecting or registering a completed run\'s outputs failed (the job stays completed).'),
    worker_id: z.string().optional().describe('Dispatch mode: the remote worker that holds the current attempt.'),
    server_id: z.string().optional().describe('Local trainers with several servers on one database: the server instance that launched the current attempt (only it watches the process while it is alive).'),
    worker_labels: WorkerLabelsSchema.optional().describe('Labels a worker must have to take the job (dispatch mode), e.g. {"gpu": "a100"}.'),
  })
  .meta({ id: 'TrainingJob' });
/** A stored training job. */
export type Job = z.infer<typeof JobSchema>;

/** Fields a store `update` or `transition` may change; keys set to `undefined` are removed. */
export type JobPatch = Partial<Omit<Job, 'job_id' | 'status'>>;

/** Body of `POST /train/jobs` with the origin's defaults; a per-job trainer command is an SDK option, never wire input. */
export const CreateJobRequestSchema = z
  .object({
    dataset_id: z.string().regex(RESOURCE_ID_PATTERN, 'invalid dataset_id'),
    version: z.string().regex(VERSION, 'version must look like v1').default('v1'),
    model_name: z.string().regex(MODEL_NAME, 'model_name must be a file name such as yolov8n.pt').default('yolov8n.pt'),
    epochs: z.number().int().min(1).max(100_000).default(10),
    imgsz: z.number().int().min(32).max(8192).default(640),
    batch: BATCH.default(-1),
    base_model_id: z.string().regex(RESOURCE_ID_PATTERN, 'invalid base_model_id').nullable().default(null),
    worker_labels: WorkerLabelsSchema.optional().describe('Dispatch mode: labels the worker that trains the job must have, e.g. {"gpu": "a100"}.'),
  })
  .meta({ id: 'CreateTrainingJobRequest' });
/** Input of `createJobService().create` (defaults applied inside). */
export type CreateJobRequest = z.input<typeof CreateJobRequestSchema>;

/** What a job was asked to train with: the `job_config` of S001's model detail (its 训练配置 panel). */
export const JobConfigSchema = z
  .object({
    job_id: z.string(),
    dataset_id: z.string(),
    version: z.string(),
    model_name: z.string(),
    base_model_id: z.string().nullable(),
    epochs: z.number().int(),
    imgsz: z.number().int(),
    batch: z.number(),
    created_at: z.string(),
    parent_job_id: z.string().optional(),
    epoch_offset: z.number().int().optional(),
    resume_count: z.number().int().optional(),
  })
  .meta({ id: 'TrainingJobConfig' });
/** A job's training configuration. */
export type JobConfig = z.infer<typeof JobConfigSchema>;

/** The configuration part of a job record (no process, path or status fields). */
export function jobConfig(job: Job): JobConfig {
  const { job_id, dataset_id, version, model_name, base_model_id, epochs, imgsz, batch, created_at, parent_job_id, epoch_offset, resume_count } = job;
  return {
    job_id, dataset_id, version, model_name, base_model_id, epochs, imgsz, batch, created_at,
    ...(parent_job_id === undefined ? {} : { parent_job_id }),
    ...(epoch_offset === undefined ? {} : { epoch_offset }),
    ...(resume_count === undefined ? {} : { resume_count }),
  };
}
