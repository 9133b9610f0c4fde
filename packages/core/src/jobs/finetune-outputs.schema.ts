import { z } from 'zod';

const FileSchema = z.object({ path: z.string().describe('Absolute path.'), size: z.number().int() });

/** A set of weight files the run saved in one folder (a LoRA adapter, or a full model). */
export const WeightsFolderSchema = z
  .object({ dir: z.string().describe('Absolute path of the folder.'), files: z.array(FileSchema) })
  .meta({ id: 'FinetuneWeightsFolder' });

/** Final metrics of a run: train_loss, eval_loss and perplexity = exp(eval_loss) where the run measured them. */
export const FinetuneMetricsSchema = z
  .object({
    train_loss: z.number().optional(),
    eval_loss: z.number().optional(),
    perplexity: z.number().optional().describe('exp(eval_loss).'),
    epoch: z.number().optional(),
    global_step: z.number().int().optional(),
    train_runtime: z.number().optional().describe('Seconds.'),
  })
  .meta({ id: 'FinetuneMetrics' });
/** Final metrics of a fine-tune run. */
export type FinetuneMetrics = z.infer<typeof FinetuneMetricsSchema>;

/** What a completed fine-tune run produced, found in its run folder. */
export const FinetuneOutputsSchema = z
  .object({
    adapter: WeightsFolderSchema.nullable().describe('adapter_model.safetensors (or .bin) + adapter_config.json; null when the run saved none.'),
    full_model: WeightsFolderSchema.nullable().describe('A full fine-tune: config.json + model*.safetensors; null otherwise.'),
    gguf_files: z.array(FileSchema).describe('Every *.gguf the run exported (a merged model or a GGUF LoRA).'),
    metrics: FinetuneMetricsSchema,
    metrics_source: z.enum(['all_results.json', 'trainer_state.json', 'trainer_log.jsonl', 'none']),
  })
  .meta({ id: 'FinetuneOutputs' });
/** What a completed fine-tune run produced. */
export type FinetuneOutputs = z.infer<typeof FinetuneOutputsSchema>;
