import { z } from 'zod';

/** What a GGUF file says about the language model (or LoRA adapter) it holds, read when it is registered. */
export const LlmInfoSchema = z
  .object({
    format: z.literal('gguf'),
    gguf_version: z.number().int(),
    kind: z.enum(['model', 'adapter']).describe('`adapter` when general.type is "adapter" (a LoRA to apply on a base model).'),
    architecture: z.string().describe('general.architecture, e.g. llama.'),
    name: z.string().optional().describe('general.name.'),
    adapter_type: z.string().optional().describe('adapter.type, e.g. lora.'),
    lora_alpha: z.number().optional().describe('adapter.lora.alpha.'),
    context_length: z.number().int().optional().describe('<arch>.context_length: tokens the model was trained on.'),
    embedding_length: z.number().int().optional(),
    block_count: z.number().int().optional(),
    vocab_size: z.number().int().optional().describe('Entries of tokenizer.ggml.tokens (else <arch>.vocab_size).'),
    tokenizer: z.string().optional().describe('tokenizer.ggml.model, e.g. llama (SentencePiece) or gpt2 (BPE).'),
    file_type: z.number().int().optional().describe('general.file_type (llama_ftype).'),
    file_type_name: z.string().optional().describe('Its name, e.g. Q4_K_M, F16.'),
    parameter_count: z.number().int().describe('Elements of all tensors.'),
    tensor_count: z.number().int(),
    tensor_types: z.record(z.string(), z.number().int()).describe('Tensors per GGML type, e.g. {"F32": 12, "Q4_K": 180}.'),
  })
  .meta({ id: 'LlmInfo' });
export type LlmInfo = z.infer<typeof LlmInfoSchema>;
