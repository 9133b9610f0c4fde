import { CreateJobRequestSchema, HYPERPARAMETER_NAMES, JobStatusSchema, LlmFinetuneSchema, RESOURCE_ID_PATTERN } from '@yoloops/core';
import { z } from 'zod';
import { nameParam } from './params.js';

const accepted = HYPERPARAMETER_NAMES.join(', ');

/** The hyperparameters a submit may set: exactly what the trainer command fills in (no learning rate: the command has no slot for it). */
export const HyperparametersSchema = z
  .strictObject(
    {
      epochs: CreateJobRequestSchema.shape.epochs.unwrap().optional(),
      imgsz: CreateJobRequestSchema.shape.imgsz.unwrap().optional(),
      batch: CreateJobRequestSchema.shape.batch.unwrap().optional(),
    },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? `unsupported hyperparameter ${issue.keys.join(', ')}: the trainer command takes only ${accepted} (see GET /api/v1/training/templates)`
          : undefined,
    },
  )
  .meta({ id: 'Seed002Hyperparameters' });

export const SubmitTrainingSchema = z
  .object({
    model_id: z.string().min(1).max(200).describe('A base detector (`yolov8n.pt`…) or a registered model (number or model id), from GET /training/models.'),
    dataset_id: z
      .union([z.number().int().positive(), z.string().regex(RESOURCE_ID_PATTERN, 'dataset_id must be a number or a dataset id')])
      .describe('Dataset number or `ds_…` id, from GET /training/datasets; for lora, qlora and full-finetune an instruction dataset (number or `ids_…`) that was processed.'),
    template_id: z.string().min(1).max(100).describe('From GET /training/templates.'),
    project_id: z.number().int().positive(),
    experiment_name: nameParam('experiment_name').describe('Jobs submitted under one name form one experiment (GET /metrics/loss?experiment_id=<name>).'),
    hyperparameters: z.record(z.string(), z.unknown()).nullable().optional()
      .describe('The template\'s own parameters only (GET /training/templates): epochs, imgsz, batch for YOLO; learning_rate, epochs, batch_size, lora_rank… for the fine-tune templates.'),
    version: z.string().regex(/^v\d{1,6}$/, 'version must look like v1').optional().describe('Dataset version (default: its newest).'),
    output_name: nameParam('output_name').optional().describe('Ours, fine-tune templates: which processed output of the instruction dataset (default: the newest).'),
  })
  .meta({ id: 'Seed002TrainingSubmit' });

export const Seed002TrainingJobSchema = z
  .object({
    id: z.number().int(), number: z.number().int().describe('Same as id: the job\'s number.'), job_id: z.string(),
    experiment_name: z.string().describe('Given at submit; the job id for jobs made by POST /train/jobs.'),
    model: z.string().describe('What it trains from, for people: a detector name (YOLOv8n) or the fine-tuned model\'s id.'),
    model_id: z.string(), template: z.string(),
    dataset_id: z.number().int(), dataset: z.string().describe('The dataset id (`ds_…`).'), version: z.string(),
    project_id: z.number().int().nullable(), owner_id: z.number().int().nullable(),
    status: JobStatusSchema, progress: z.number().describe('Percent of planned epochs stored (one decimal), as /api/v1/tasks.'),
    current_epoch: z.number().int(), total_epochs: z.number().int(),
    current_step: z.number().int().describe('Same as current_epoch (a step is an epoch).'), total_steps: z.number().int(),
    loss: z.number().nullable().describe('Training loss of the last epoch (box + cls + dfl for YOLO).'), current_loss: z.number().nullable(),
    best_loss: z.number().nullable(), val_loss: z.number().nullable(),
    metrics: z.record(z.string(), z.number().nullable()).nullable().describe('Every metric of the last stored epoch.'),
    queue_position: z.number().int().nullable().describe('1 + jobs queued before it; null unless queued.'),
    estimated_start: z.string().nullable().describe('Always null: yoloops does not predict start times.'),
    eta: z.string().nullable().describe('From this attempt\'s pace so far; null until an epoch is done.'),
    created_at: z.string(), start_time: z.string().nullable(), started_at: z.string().nullable(), finished_at: z.string().nullable(),
    error: z.string().nullable(), result_model_id: z.string().nullable().describe('The registered model the job produced.'),
    config: z.record(z.string(), z.unknown()),
    kind: z.literal('llm-finetune').optional().describe('Present on fine-tunes, whose steps are the trainer\'s logging steps and whose version is the processed output.'),
    base_model: z.string().nullable().optional(), llm: LlmFinetuneSchema.nullable().optional(),
  })
  .meta({ id: 'Seed002TrainingJob' });

export const Seed002TrainingJobDetailSchema = Seed002TrainingJobSchema.extend({
  logs: z.array(z.string()).describe('The last 50 lines of the job log.'),
}).meta({ id: 'Seed002TrainingJobDetail' });

const TrainingModel = z
  .object({
    id: z.string(), number: z.number().int().optional(), name: z.string(), provider: z.string(), size: z.string(),
    type: z.enum(['base', 'fine-tune']), framework: z.string().describe('ultralytics, or transformers for a language base model.'), task: z.string(),
    flops: z.string().optional(), classes: z.array(z.string()).optional(), created_at: z.string().optional(),
    model_name_or_path: z.string().optional().describe('Language base models: what the trainer loads.'), template: z.string().optional(), license: z.string().optional(),
    default: z.boolean().optional().describe('The base model of a fine-tune that names none.'), trainer: z.string().optional(),
  })
  .meta({ id: 'Seed002TrainingModel' });
export const TrainingModelsSchema = z.object({ models: z.array(TrainingModel) }).meta({ id: 'Seed002TrainingModels' });

const Param = z.object({
  type: z.string(), default: z.unknown(), minimum: z.number().optional(), maximum: z.number().optional(),
  enum: z.array(z.number()).optional(), exclusive_minimum: z.boolean().optional(), description: z.string(),
});
const Template = z
  .object({
    id: z.string(), name: z.string(), description: z.string(), model_type: z.enum(['base', 'fine-tune', 'llm-base']).describe('llm-base: a language base model of GET /training/models.'),
    task: z.string(), framework: z.string(),
    min_gpu_memory: z.string(), params: z.record(z.string(), Param), defaults: z.record(z.string(), z.unknown()),
    finetuning_type: z.string().optional(), gpu_memory_gb_per_billion_params: z.number().optional(),
  })
  .meta({ id: 'Seed002TrainingTemplate' });
export const TemplatesSchema = z.object({ templates: z.array(Template) }).meta({ id: 'Seed002TrainingTemplates' });

const TrainingDataset = z
  .object({
    id: z.number().int(), dataset_id: z.string(), name: z.string(), project_id: z.number().int().nullable(),
    version: z.string(), versions: z.array(z.string()),
    size: z.string().describe('Uploaded ZIP, 1024 steps.'), rows: z.string().describe('Images, as the origin wrote rows.'),
    image_count: z.number().int(), train_count: z.number().int(), val_count: z.number().int(), test_count: z.number().int(),
    classes: z.array(z.string()), num_classes: z.number().int(), created_at: z.string(),
    kind: z.literal('instruction').optional().describe('A processed instruction dataset (the fine-tune templates): versions are its processed outputs, counts the newest\'s splits.'),
    record_format: z.string().optional(), samples_count: z.number().int().optional(),
  })
  .meta({ id: 'Seed002TrainingDataset' });
export const TrainingDatasetsSchema = z.object({ datasets: z.array(TrainingDataset) }).meta({ id: 'Seed002TrainingDatasets' });

export const SubmitResultSchema = z
  .object({
    message: z.string(),
    job: z.object({
      id: z.number().int(), job_id: z.string(), number: z.number().int(), experiment_name: z.string(),
      model: TrainingModel, model_id: z.string(), dataset_id: z.number().int(), dataset: z.string(), version: z.string(), project_id: z.number().int(),
      template: Template, status: JobStatusSchema, progress: z.number().int(), queue_position: z.number().int(),
      estimated_start: z.string().nullable(), config: z.record(z.string(), z.unknown()), created_at: z.string(),
    }),
  })
  .meta({ id: 'Seed002TrainingSubmitted' });
