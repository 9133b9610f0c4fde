import { InstructionRecordFormatSchema, ProcessedOutputSchema } from '@yoloops/core';
import { z } from 'zod';

const Settings = z.record(z.string(), z.unknown());
const Iso = z.string().describe('ISO 8601 time.');

export const ProjectSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    description: z.string().nullable(),
    owner_id: z.number().int().nullable().describe('The account that created it; null when created with auth off.'),
    status: z.enum(['active', 'archived']),
    settings: Settings,
    created_at: Iso,
    updated_at: Iso,
  })
  .meta({ id: 'Project' });

export const ProjectCreateSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    description: z.string().max(10_000).nullish(),
    settings: Settings.nullish().describe('Free-form JSON object (default {}).'),
  })
  .meta({ id: 'ProjectCreate' });

export const ProjectUpdateSchema = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    description: z.string().max(10_000).nullish(),
    status: z.enum(['active', 'archived']).optional(),
    settings: Settings.optional(),
  })
  .meta({ id: 'ProjectUpdate' });

export const TaskSchema = z
  .object({
    id: z.number().int().describe('Task number (tasks count on their own: a job and a dataset never share one).'),
    name: z.string(),
    type: z.enum(['training', 'dataset_preparation', 'dataset_processing']).describe('dataset_processing: an instruction dataset\'s `POST /api/v1/datasets/process` run.'),
    project_id: z.number().int().nullable(),
    owner_id: z.number().int().nullable(),
    status: z.enum(['pending', 'running', 'completed', 'failed']).describe('queued → pending; failed, crashed and stopped → failed (see `state`).'),
    state: z.string().describe('The raw status: a job\'s queued|running|completed|failed|stopped|crashed, a dataset\'s uploaded|preparing|prepared, a processing run\'s running|completed|failed.'),
    progress: z.number().describe('Training: 100 × epochs stored ÷ epochs planned (1 decimal; completed = 100). Preparation: 0 or 100. Processing: the run\'s two passes over the file.'),
    resource_id: z.string().describe('The job (`job_…`) or dataset (`ds_…`) the task is; a processing run\'s own id (`task_…`).'),
    resource_number: z.number().int().describe('The job\'s or dataset\'s own number (for a processing run: its dataset\'s).'),
    created_at: Iso,
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
    error: z.string().nullable(),
  })
  .meta({ id: 'Task' });

export const CatalogDatasetSchema = z
  .object({
    id: z.number().int(),
    dataset_id: z.string().nullable().describe('The dataset (`ds_…`, or `ids_…` for an instruction dataset); null until the record\'s upload.'),
    name: z.string(),
    description: z.string().nullable(),
    project_id: z.number().int().nullable(),
    owner_id: z.number().int().nullable(),
    format: z.enum(['yolo', 'json', 'jsonl', 'csv']).describe('yolo: a detection ZIP in the YOLO layouts; json, jsonl, csv: an instruction dataset file.'),
    size: z.number().int().describe('Bytes of the uploaded ZIP (0 before the upload).'),
    size_formatted: z.string().describe('`size` in 1024 steps, e.g. "50.00 MB".'),
    row_count: z.number().int().describe('Images found by the preparation (0 before).'),
    status: z.enum(['pending', 'processing', 'ready', 'failed']),
    state: z.string().nullable().describe('The dataset\'s raw status (uploaded|preparing|prepared); null before the upload.'),
    classes: z.array(z.string()),
    error: z.string().nullable(),
    created_at: Iso,
    kind: z.enum(['detection', 'instruction']).describe('What the dataset is for: detection training, or language-model fine-tuning (seed 003).'),
    path: z.string().nullable().describe('Seed 003: the stored instruction file; a detection dataset\'s data.yaml once prepared; null before.'),
    size_mb: z.number().describe('Seed 003: `size` ÷ 2^20, two decimals.'),
    samples_count: z.number().int().describe('Seed 003: valid records of an instruction dataset, images of a detection one (= `row_count`).'),
    record_format: InstructionRecordFormatSchema.nullable().describe('alpaca, sharegpt or openai for an instruction dataset; null otherwise.'),
    processed: z.array(ProcessedOutputSchema).describe('An instruction dataset\'s processed outputs (`POST /api/v1/datasets/process`); [] otherwise.'),
  })
  .meta({ id: 'CatalogDataset' });

export const CatalogDatasetCreateSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    description: z.string().max(10_000).nullish(),
    project_id: z.number().int().min(1).nullish(),
    format: z.enum(['yolo', 'json', 'jsonl', 'csv']).default('yolo').describe('yolo (default): the upload is a detection ZIP; json, jsonl or csv: an instruction dataset file.'),
  })
  .meta({ id: 'CatalogDatasetCreate' });

const metric = z.number().nullable();
export const CatalogModelSchema = z
  .object({
    id: z.number().int(),
    model_id: z.string().nullable().describe('The registered model; null until the record\'s upload.'),
    name: z.string(),
    base_model: z.string().nullable(),
    framework: z.string().describe('"ultralytics" when PyTorch weights are present, "gguf" for a llama.cpp language model or adapter, "transformers" for another language model (e.g. a PEFT adapter), else "onnx"; as given until the upload.'),
    version: z.string(),
    size: z.string().describe('Bytes of the weights in 1024 steps, e.g. "6.2MB" ("0B" before the upload).'),
    size_bytes: z.number().int(),
    status: z.enum(['pending', 'ready']),
    metrics: z
      .object({
        final_loss: metric, mAP50: metric, 'mAP50-95': metric, precision: metric, recall: metric,
        train_loss: metric.describe('Seed 003: a fine-tuned language model\'s final training loss (null otherwise).'),
        val_loss: metric.describe('Seed 003: its final evaluation loss.'),
        perplexity: metric.describe('Seed 003: exp(val_loss).'),
      })
      .nullable()
      .describe('A detector: the last stored epoch of the training job that made it; a language model: its run\'s final metrics (`final_loss` = `train_loss`); null without either.'),
    project_id: z.number().int().nullable(),
    owner_id: z.number().int().nullable(),
    job_id: z.string().nullable(),
    created_at: Iso,
    task: z.string().nullable().describe('detect, text-generation…; null before the upload.'),
    path: z.string().nullable().describe('Seed 003: the model\'s folder in the registry (accepted as `model_path` of `POST /api/v1/generate`); null before the upload.'),
    size_mb: z.number().describe('Seed 003: `size_bytes` ÷ 2^20, two decimals.'),
    description: z.string().nullable(),
    training_config: z.record(z.string(), z.unknown()).nullable().describe('Seed 003: a fine-tuned language model\'s training configuration; null otherwise.'),
    last_used: z.string().nullable().describe('Seed 003: when it last generated text; null before.'),
    usage_count: z.number().int().describe('Seed 003: generations run with it.'),
  })
  .meta({ id: 'CatalogModel' });

export const CatalogModelCreateSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    project_id: z.number().int().min(1).nullish(),
    base_model: z.string().max(500).nullish(),
    framework: z.string().max(100).nullish(),
    version: z.string().max(100).nullish(),
  })
  .meta({ id: 'CatalogModelCreate' });
