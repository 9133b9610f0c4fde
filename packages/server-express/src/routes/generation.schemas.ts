import { z } from 'zod';

const Usage = z
  .object({
    prompt_tokens: z.number().int().describe('Tokens of the prompt, by the model\'s own tokenizer (BOS included).'),
    completion_tokens: z.number().int().describe('Tokens generated, summed over the sequences.'),
    total_tokens: z.number().int(),
  })
  .meta({ id: 'TokenUsage' });

const backend = z.enum(['llama.cpp', 'openai-compatible']).describe('llama.cpp: a registry GGUF model on the embedded generator; openai-compatible: the upstream (YOLOOPS_LLM_BASE_URL).');
const modelPath = z.string().describe('The model\'s folder in the registry (a `path` of `GET /api/v1/models`), or the upstream model\'s name; accepted back as `model_path`.');
const modelId = z.string().describe('Ours: the registry model id, or the upstream model\'s name.');

export const Seed003GenerateResponseSchema = z
  .object({
    prompt: z.string(),
    generated_texts: z.array(z.string()).describe('`num_return_sequences` texts, without the prompt.'),
    model_path: modelPath,
    generation_time: z.number().describe('Seconds the generation took (measured).'),
    timestamp: z.string(),
    model_id: modelId,
    backend,
    usage: Usage.describe('Ours: real token counts.'),
    finish_reasons: z.array(z.enum(['stop', 'length'])).describe('Ours, per text: `length` when `max_length` ended it.'),
  })
  .meta({ id: 'Seed003GenerateResponse' });

export const Seed003BatchGenerateResponseSchema = z
  .object({
    results: z.array(z.object({ prompt: z.string(), generated_texts: z.array(z.string()), usage: Usage.describe('Ours.'), generation_time: z.number().describe('Ours: seconds of this prompt.') })),
    model_path: modelPath,
    total_generation_time: z.number().describe('Seconds of all prompts (run one after another, as the origin does).'),
    timestamp: z.string(),
    model_id: modelId,
    backend,
    usage: Usage.describe('Ours: summed over the prompts.'),
  })
  .meta({ id: 'Seed003BatchGenerateResponse' });

export const InferenceModelSchema = z
  .object({
    id: z.string().describe('`model_id` of `POST /api/v1/inference/generate`: the registry model id, or the upstream model\'s name.'),
    name: z.string(),
    provider: z.string().describe('"yoloops" for a registry model (uploaded or fine-tuned here); the upstream\'s `owned_by` otherwise.'),
    size: z.string().nullable().describe('Parameters, e.g. "1.5B" or "52.3K" (GGUF tensor elements); null when unknown.'),
    status: z.literal('ready'),
    backend,
    number: z.number().int().nullable().describe('Ours: a registry model\'s number (also accepted as `model_id`); null for an upstream model.'),
    kind: z.enum(['model', 'adapter']).nullable().describe('Ours: a LoRA adapter runs on its base model; null for an upstream model.'),
    base_model_id: z.string().nullable(),
    context_length: z.number().int().nullable(),
  })
  .meta({ id: 'InferenceModel' });

export const InferenceModelListSchema = z
  .object({
    models: z.array(InferenceModelSchema),
    upstream_error: z.string().nullable().describe('Ours: why the upstream\'s models are missing (down, refused…); null when listed or none is configured.'),
  })
  .meta({ id: 'InferenceModelList' });

const maxTokens = z.number().int().min(1).max(32768);
export const InferenceGenerateRequestSchema = z
  .object({
    model_id: z.union([z.string().min(1).max(1000), z.number().int().min(0)]).describe('A registry model id or number (`GET /api/v1/inference/models`), or an upstream model\'s name.'),
    prompt: z.string().max(1_000_000),
    max_tokens: maxTokens.default(512).describe('New tokens at most (the prompt is not counted).'),
    temperature: z.number().min(0).max(2).default(0.7).describe('0: greedy.'),
    top_p: z.number().gt(0).max(1).default(0.9),
    seed: z.number().int().min(0).max(2 ** 31 - 1).optional().describe('Ours: the same seed, model and parameters give the same text.'),
    stop: z.array(z.string().min(1).max(200)).max(8).optional().describe('Ours: strings that end the text (not included).'),
  })
  .meta({ id: 'InferenceGenerateRequest' });

export const InferenceGenerateResponseSchema = z
  .object({
    id: z.string().describe('8 hex digits, as the origin.'),
    model: z.string().describe('`model_id` as sent.'),
    model_id: modelId,
    prompt: z.string(),
    output: z.string(),
    usage: Usage,
    latency_ms: z.number().describe('Milliseconds the generation took (measured).'),
    created_at: z.string(),
    backend,
    finish_reason: z.enum(['stop', 'length']),
  })
  .meta({ id: 'InferenceGenerateResponse' });
