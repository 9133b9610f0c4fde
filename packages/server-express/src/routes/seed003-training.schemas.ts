import { z } from 'zod';
import { Seed003TrainRequestSchema } from '../seed003/validation.js';

const config = Seed003TrainRequestSchema.shape.config.unwrap();
const lora = Seed003TrainRequestSchema.shape.lora_config.unwrap();
const int = z.number().int();

/** Seed 003's `POST /train` body with our two extensions (documentation only: `validateTrainInput` checks it). */
export const Seed003TrainBodySchema = Seed003TrainRequestSchema.extend({
  dataset_path: z.string().describe(
    'A processed instruction dataset of yours: the `output_path` or `task_id` that `POST /api/v1/datasets/process` answered, or `<dataset id or number>/<output_name>`. Never opened as a path.',
  ),
  base_model: z.string().optional().describe('Ours: a base-model catalog id (`GET /api/v1/training/models`); default the catalog\'s default.'),
  config: config.extend({
    batch_size: int.min(1).max(4096).optional().describe('Default 8.'),
    num_epochs: int.min(1).max(1000).optional().describe('Default 3.'),
    output_dir: z.string().optional().describe('Relative, without `..`. The run folder is the server\'s: the last segment names the registered model (`./models/my_model` → `my_model`); kept as given in the status.'),
    model_name: z.string().optional().describe('Ours: same as `base_model` (either one).'),
  }).optional(),
  lora_config: lora.extend({
    r: int.min(1).max(1024).optional().describe('Default 8.'),
    lora_alpha: int.min(1).max(4096).optional().describe('Default 16.'),
  }).optional(),
}).meta({ id: 'Seed003TrainBody' });

export const Seed003TrainStartedSchema = z
  .object({ task_id: z.string().describe('The fine-tune job (`job_…`).'), status: z.literal('started'), message: z.string().describe('"训练任务已启动"'), created_at: z.string() })
  .meta({ id: 'Seed003TrainStarted' });

export const Seed003TrainStatusSchema = z
  .object({
    task_id: z.string(),
    status: z.enum(['queued', 'running', 'completed', 'failed', 'canceled']).describe('The job\'s stopped reads canceled, crashed reads failed.'),
    progress: z.number().describe('Percent, one decimal: the trainer\'s own percentage (else steps done ÷ total); 100 once completed.'),
    metrics: z.object({ train_loss: z.number().optional(), learning_rate: z.number().optional(), epoch: z.number().optional() })
      .describe('From the latest logged step that has each (fractional epoch); empty before the first.'),
    started_at: z.string().nullable(),
    updated_at: z.string().describe('The latest of created, started, last step or progress report, stopped and finished.'),
    current_steps: z.number().int().describe('Ours.'), total_steps: z.number().int().nullable().describe('Ours: null until the trainer says.'),
    remaining_time: z.string().nullable().describe('Ours: the trainer\'s estimate.'),
    base_model: z.string().nullable(), finetuning_type: z.string().nullable().describe('lora, or qlora with a quantization.'),
    output_dir: z.string().nullable().describe('config.output_dir as sent.'),
    error: z.string().optional().describe('Why it failed, or why handling its outputs failed.'),
    model_id: z.string().optional().describe('The registered model (its adapter) once completed: `model_path` of POST /api/v1/generate.'),
  })
  .meta({ id: 'Seed003TrainStatus' });

export const Seed003TrainCanceledSchema = z
  .object({ task_id: z.string(), status: z.literal('canceled'), message: z.string().describe('"训练任务已取消"'), canceled_at: z.string() })
  .meta({ id: 'Seed003TrainCanceled' });
