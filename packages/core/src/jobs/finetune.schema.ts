import { z } from 'zod';
import { RESOURCE_ID_PATTERN } from '../platform/ids.js';
import { WorkerLabelsSchema } from '../workers/worker.schema.js';

/** What a job trains: a detector (the default, also when `kind` is absent) or a language model fine-tune. */
export const JobKindSchema = z.enum(['detect', 'llm-finetune']).meta({ id: 'TrainingJobKind', description: 'detect (absent = detect) or llm-finetune.' });
/** One of the job kinds. */
export type JobKind = z.infer<typeof JobKindSchema>;

/** How the weights are trained: LoRA adapters, LoRA on a 4/8-bit quantized base (QLoRA), or every weight. */
export const FinetuningTypeSchema = z.enum(['lora', 'qlora', 'full']).meta({ id: 'FinetuningType' });
/** One of the fine-tuning methods. */
export type FinetuningType = z.infer<typeof FinetuningTypeSchema>;

const DATASET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const datasetNames = z.array(z.string().regex(DATASET_NAME, 'a dataset name is a name from dataset_info.json (letters, digits, . _ -)')).min(1).max(16);
/** A data-root key: `/`-separated names, never absolute, never `..` (checked again by the blob store). */
const DATA_KEY = /^(?!.*(?:^|\/)\.{1,2}(?:\/|$))[A-Za-z0-9_][A-Za-z0-9._/-]{0,511}$/;

/**
 * What a fine-tune job was asked for, resolved (catalog entry, dataset folder): the `llm` block of the
 * job record and the source of the trainer's YAML (LLaMA-Factory names).
 */
export const LlmFinetuneSchema = z
  .object({
    base_model: z.string().describe('Catalog id of the base model.'),
    model_name_or_path: z.string().describe('Hugging Face id or local folder the trainer loads (from the catalog).'),
    template: z.string().describe('Chat template name of the trainer (LLaMA-Factory `template`).'),
    finetuning_type: FinetuningTypeSchema,
    lora_rank: z.number().int(),
    lora_alpha: z.number().int(),
    lora_dropout: z.number(),
    lora_target: z.string(),
    quantization_bit: z.union([z.literal(4), z.literal(8)]).nullable().describe('4 or 8 for QLoRA; null = no quantization.'),
    learning_rate: z.number(),
    per_device_train_batch_size: z.number().int(),
    gradient_accumulation_steps: z.number().int(),
    num_train_epochs: z.number().int(),
    cutoff_len: z.number().int(),
    logging_steps: z.number().int(),
    save_steps: z.number().int(),
    dataset_dir: z.string().describe('Absolute path of the processed dataset folder (its dataset_info.json and split files).'),
    dataset: z.array(z.string()).describe('Training dataset names from dataset_info.json.'),
    eval_dataset: z.array(z.string()).optional().describe('Evaluation dataset names (eval_loss, perplexity), when the folder has one.'),
  })
  .meta({ id: 'LlmFinetuneConfig' });
/** A resolved fine-tune configuration. */
export type LlmFinetune = z.infer<typeof LlmFinetuneSchema>;

/** Training progress as the trainer last reported it (LLaMA-Factory `percentage`, `current_steps`/`total_steps`). */
export const JobProgressSchema = z
  .object({
    percentage: z.number().min(0).max(100),
    current_steps: z.number().int().min(0),
    total_steps: z.number().int().min(0),
    remaining_time: z.string().optional(),
    attempt: z.number().int(),
    updated_at: z.string(),
  })
  .meta({ id: 'TrainingJobProgress' });
/** A job's last reported progress. */
export type JobProgress = z.infer<typeof JobProgressSchema>;

/**
 * Body of a fine-tune job (`createFinetune`), with seed 003's defaults (lr 3e-5, batch 8, 3 epochs,
 * r 8, alpha 16, dropout 0.05). The base model is a catalog id, never a path: a caller must not make the
 * server load whatever it names.
 */
export const CreateFinetuneJobRequestSchema = z
  .object({
    base_model: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'base_model must be an id from the base-model catalog').optional()
      .describe('Catalog id; default: the catalog\'s default entry.'),
    dataset_dir: z.string().regex(DATA_KEY, 'dataset_dir must be a data-root key such as instructions/ids_1/processed/v1 (no "..", not absolute)')
      .describe('Data-root key of the processed instruction dataset folder (dataset_info.json + split JSONL files).'),
    dataset: datasetNames.optional().describe('Training datasets from dataset_info.json; default: the one named train or ending in _train (or the only one).'),
    eval_dataset: datasetNames.optional().describe('Evaluation datasets; default: the one named validation/val/eval or ending so, when present.'),
    dataset_id: z.string().regex(RESOURCE_ID_PATTERN, 'invalid dataset_id').optional().describe('The instruction dataset the folder was processed from (shown as the job\'s dataset_id).'),
    model_name: z.string().regex(/^(?!\.{1,2}$)[^/\\\u0000-\u001f\u007f]{1,200}$/, 'model_name is 1–200 characters without "/", "\\" or control characters').optional()
      .describe('Name of the registered model the run produces; default `<base_model>-<finetuning_type>`.'),
    finetuning_type: FinetuningTypeSchema.default('lora'),
    lora_rank: z.number().int().min(1).max(1024).default(8),
    lora_alpha: z.number().int().min(1).max(4096).default(16),
    lora_dropout: z.number().min(0).max(1).default(0.05),
    lora_target: z.string().regex(/^[A-Za-z0-9_.,-]{1,512}$/, 'lora_target is "all" or comma-separated module names').default('all'),
    quantization_bit: z.union([z.literal(4), z.literal(8)]).nullable().optional().describe('4 or 8 (QLoRA); qlora defaults to 4; full cannot be quantized.'),
    learning_rate: z.number().gt(0).max(1).default(3e-5),
    per_device_train_batch_size: z.number().int().min(1).max(4096).default(8),
    gradient_accumulation_steps: z.number().int().min(1).max(4096).default(1),
    num_train_epochs: z.number().int().min(1).max(1000).default(3),
    cutoff_len: z.number().int().min(16).max(131_072).default(1024),
    logging_steps: z.number().int().min(1).max(1_000_000).default(10),
    save_steps: z.number().int().min(1).max(1_000_000).default(500),
    template: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'template must be a trainer template name such as qwen').optional()
      .describe('Chat template override; default: the catalog entry\'s.'),
    worker_labels: WorkerLabelsSchema.optional().describe('Dispatch mode: labels the worker that trains the job must have, e.g. {"gpu": "a100"}.'),
  })
  .meta({ id: 'CreateFinetuneJobRequest' });
/** Input of `createJobService().createFinetune` (defaults applied inside). */
export type CreateFinetuneJobRequest = z.input<typeof CreateFinetuneJobRequestSchema>;
