import { z } from 'zod';
import { LlmInfoSchema } from '../generation/llm-info.schema.js';

export const WeightsFileSchema = z
  .object({
    file: z.string().describe('File name inside the model\'s weights folder, e.g. best.onnx.'),
    format: z.enum(['onnx', 'pt', 'data', 'gguf']).describe('onnx, pt (opaque, never loaded), gguf (a language model or LoRA adapter llama.cpp loads) or data (an external-data file an ONNX beside it names, or a language model\'s opaque side file).'),
    size: z.number().int(),
    sha256: z.string(),
  })
  .meta({ id: 'WeightsFile' });
export type WeightsFile = z.infer<typeof WeightsFileSchema>;

/** Read from the ONNX weights when the model is registered (the origin loaded its .pt with Python for this). */
export const ModelInfoSchema = z
  .object({
    format: z.literal('onnx'),
    task: z.string(),
    layout: z.enum(['v8', 'v5', 'end2end']).describe('Output layout: v8 [B,4+nc,N], v5 [B,N,5+nc], end2end [B,K,6].'),
    input_size: z.tuple([z.number().int(), z.number().int()]).describe('[height, width] the images are letterboxed to.'),
    batch: z.union([z.number().int(), z.literal('dynamic')]),
    num_classes: z.number().int(),
    total_params: z.number().int().describe('Elements of all weight tensors (initializers).'),
    total_params_m: z.number().describe('total_params in millions, 2 decimals.'),
    opset: z.number().int(),
    producer: z.string(),
    metadata: z.record(z.string(), z.string()).describe('The ONNX metadata_props (Ultralytics writes Python literals).'),
  })
  .meta({ id: 'ModelInfo' });
export type ModelInfo = z.infer<typeof ModelInfoSchema>;

/** A registered model: the origin's model.json fields plus what yoloops records about its weights. */
export const ModelSchema = z
  .object({
    model_id: z.string(),
    name: z.string().optional(),
    description: z.string().optional(),
    tags: z.array(z.string()).optional(),
    task: z.string().describe('Ultralytics task, e.g. detect; text-generation for a language model.'),
    source: z.enum(['trained', 'uploaded']),
    job_id: z.string().optional().describe('Training job that produced it.'),
    dataset_id: z.string().optional(),
    base_model: z.string().optional().describe('What training started from (e.g. yolov8n.pt or a model id).'),
    classes: z.array(z.string()),
    imgsz: z.number().int().optional(),
    epochs: z.number().int().optional(),
    weights: z.array(WeightsFileSchema),
    weights_path: z.string().describe('Main weights file (ONNX preferred), absolute on local storage.'),
    file_size: z.number().int().describe('Bytes of all weights files.'),
    file_size_mb: z.number(),
    created_at: z.string(),
    updated_at: z.string().optional(),
    source_file: z.string().optional().describe('Name of the uploaded ZIP.'),
    model_info: ModelInfoSchema.optional().describe('What the ONNX weights say about themselves (absent for .pt-only models).'),
    llm_info: LlmInfoSchema.optional().describe('What the GGUF weights of a language model (or LoRA adapter) say about themselves.'),
    base_model_id: z.string().optional().describe('A LoRA adapter: the registered language model it applies on.'),
    training_config: z.record(z.string(), z.unknown()).optional().describe('A fine-tuned language model: the training configuration of its run.'),
    metrics: z.record(z.string(), z.number()).optional().describe('A fine-tuned language model: final metrics of its run (train_loss, val_loss, perplexity…).'),
    usage_count: z.number().int().optional().describe('A language model: generations run with it (seed 003 `usage_count`); absent before the first.'),
    last_used: z.string().optional().describe('A language model: when it last generated (ISO 8601; seed 003 `last_used`).'),
  })
  .meta({ id: 'Model' });
export type Model = z.infer<typeof ModelSchema>;
