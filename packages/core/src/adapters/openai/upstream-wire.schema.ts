import { z } from 'zod';

/** `GET /v1/models` (Ollama answers `data: null` when it has no model). */
export const ModelListSchema = z.object({
  data: z
    .array(z.object({ id: z.string().min(1), owned_by: z.string().optional().catch(undefined), created: z.number().optional().catch(undefined) }))
    .nullable(),
});

const UsageSchema = z.object({
  prompt_tokens: z.number().int().nonnegative(),
  completion_tokens: z.number().int().nonnegative(),
});

const ChoiceSchema = z.object({
  text: z.string(),
  finish_reason: z.string().nullable().optional(),
});

/** `POST /v1/completions` without `stream`. */
export const CompletionSchema = z.object({
  choices: z.array(ChoiceSchema).min(1),
  usage: UsageSchema,
});

/** One `data:` event of a streamed completion (the last may carry only `usage`, or an `error`). */
export const CompletionChunkSchema = z.object({
  choices: z.array(ChoiceSchema).optional(),
  error: z.unknown().optional(),
});

/** vLLM `POST /tokenize` → `{count, tokens}`; llama.cpp server `POST /tokenize` → `{tokens}`. */
export const TokenizeSchema = z.object({
  count: z.number().int().nonnegative().optional(),
  tokens: z.array(z.unknown()),
});

/** The message of an upstream error body: OpenAI `{error:{message}}`, TGI `{error:"…"}`, vLLM `{message}`, FastAPI `{detail}`. */
export function upstreamErrorMessage(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { error, message, detail } = body as { error?: unknown; message?: unknown; detail?: unknown };
  if (typeof error === 'string') return error;
  if (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string') return (error as { message: string }).message;
  if (typeof message === 'string') return message;
  if (typeof detail === 'string') return detail;
  return undefined;
}
