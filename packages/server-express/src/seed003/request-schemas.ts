import { z } from 'zod';

// What seed 003's bodies look like, for the OpenAPI document only: the routes check bodies with the
// origin's validators (`validateBody: seed003Json(validateX)`), whose messages and order these cannot give.

const int = z.number().int();
const sampling = {
  model_path: z.string().optional().describe('A registered model id; default the newest trained language model.'),
  max_length: int.min(1).max(2048).optional().describe('Prompt tokens + new tokens (Hugging Face semantics); default 100.'),
  temperature: z.number().min(0).max(2).optional().describe('Default 0.7.'),
  top_p: z.number().gt(0).max(1).optional().describe('Default 0.9.'),
  top_k: int.min(1).optional().describe('Default 50.'),
  num_return_sequences: int.min(1).max(5).optional().describe('Default 1.'),
  seed: int.min(0).max(2 ** 31 - 1).optional().describe('Ours: the same seed, model and settings give the same texts (sequence i uses seed + i); default a random one.'),
};

export const Seed003GenerateRequestSchema = z.object({ prompt: z.string().describe('Not blank.'), ...sampling }).meta({ id: 'Seed003GenerateRequest' });

export const Seed003BatchGenerateRequestSchema = z
  .object({ prompts: z.array(z.string().describe('Not blank.')).min(1).max(50), ...sampling })
  .meta({ id: 'Seed003BatchGenerateRequest' });

export const Seed003TrainRequestSchema = z
  .object({
    dataset_path: z.string().describe('A processed dataset: its `output_path` or id.'),
    config: z
      .object({
        learning_rate: z.number().gt(0).max(1).optional().describe('Default 3e-5.'),
        batch_size: int.min(1).optional().describe('Default 8.'),
        num_epochs: int.min(1).optional().describe('Default 3.'),
        output_dir: z.string().optional().describe('Relative, without `..`; default ./models/checkpoints, inside the run\'s directory.'),
        quantization: z.enum(['int8', 'int4']).nullable().optional().describe('Default null.'),
      })
      .optional(),
    lora_config: z
      .object({
        r: int.min(1).optional().describe('Default 8.'),
        lora_alpha: int.min(1).optional().describe('Default 16.'),
        lora_dropout: z.number().min(0).max(1).optional().describe('Default 0.05.'),
      })
      .optional(),
  })
  .meta({ id: 'Seed003TrainRequest' });

export const Seed003DatasetProcessRequestSchema = z
  .object({
    dataset_id: z.string(),
    output_name: z.string().describe('Not blank; no `/`, `\\`, control characters, `.` or `..`; at most 200 characters.'),
    train_ratio: z.number().gt(0).max(1).optional().describe('Default 0.8.'),
    val_ratio: z.number().min(0).lt(1).optional().describe('Default 0.1.'),
    test_ratio: z.number().min(0).lt(1).optional().describe('Default 0.1. When all three ratios are sent they sum to 1 (± 1e-6).'),
    template: z.string().optional().describe('Default `### 指令:\\n{instruction}\\n\\n### 回答:\\n{response}`.'),
    seed: int.optional().describe('Ours: seed of the split (default 42, as the origin); same file, ratios and seed → the same split files, byte for byte.'),
  })
  .meta({ id: 'Seed003DatasetProcessRequest' });

/** The multipart fields of `POST /datasets/upload` (the file part is `file`), for a route's `multipart.fields`. */
export const SEED003_UPLOAD_FIELDS = {
  name: { description: 'Not blank.', type: 'string', required: true },
  description: { description: 'Default "".', type: 'string' },
  format: { description: 'json, csv or jsonl; default the file\'s extension (.json, .csv, .jsonl).', type: 'string' },
} as const;
