import type { z } from 'zod';
import type { GeneratedSequence, GenerationParams } from '../../generation/text-generator.port.js';
import { badAnswer, type UpstreamCallContext } from './upstream-errors.js';
import type { UpstreamHttp } from './upstream-http.js';
import { CompletionSchema } from './upstream-wire.schema.js';

/** The JSON body of `POST /v1/completions`: portable OpenAI parameters, `top_k` only when the server takes it. */
export interface CompletionBody {
  model: string;
  prompt: string;
  max_tokens: number;
  temperature: number;
  top_p: number;
  top_k?: number;
  seed?: number;
  stop?: string[];
  stream?: boolean;
}

/** Builds the body of one request (never `n`: several sequences are several requests). */
export function completionBody(model: string, params: Omit<GenerationParams, 'n'>, maxTokens: number, sendTopK: boolean): CompletionBody {
  return {
    model,
    prompt: params.prompt,
    max_tokens: maxTokens,
    temperature: params.temperature,
    top_p: params.topP,
    ...(sendTopK && params.topK !== undefined ? { top_k: params.topK } : {}),
    ...(params.seed === undefined ? {} : { seed: params.seed }),
    ...(params.stop !== undefined && params.stop.length > 0 ? { stop: params.stop } : {}),
  };
}

/**
 * The seed of sequence `index`: the given seed for the first (so `n = 1` is the plain call), then a
 * 31-bit mix of seed and index, so the sequences differ yet the same seed gives the same set.
 */
export function sequenceSeed(seed: number, index: number): number {
  if (index === 0) return seed;
  let h = (Math.trunc(seed) ^ Math.imul(index, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) & 0x7fffffff;
}

/** `length` when the token limit ended the text; every other end (`stop`, `eos_token`, `stop_sequence`…) is `stop`. */
export function finishReason(raw: string | null | undefined): 'stop' | 'length' {
  return raw === 'length' || raw === 'max_tokens' ? 'length' : 'stop';
}

/** Checks an answer against its wire schema, naming the first field that is wrong. */
export function parseAnswer<S extends z.ZodType>(context: UpstreamCallContext, schema: S, json: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue === undefined || issue.path.length === 0 ? '' : `${issue.path.join('.')}: `;
  throw badAnswer(context, `the ${what} does not match the OpenAI format (${where}${issue?.message ?? 'invalid'})`, parsed.error);
}

/** One completion request: its sequence and the token counts of its `usage`. */
export async function complete(http: UpstreamHttp, path: string, body: CompletionBody, signal?: AbortSignal): Promise<{ sequence: GeneratedSequence; promptTokens: number }> {
  const json = await http.json({ method: 'POST', path, body, model: body.model, ...(signal === undefined ? {} : { signal }) });
  const answer = parseAnswer({ url: http.url, model: body.model }, CompletionSchema, json, 'completion');
  const choice = answer.choices[0]!;
  return {
    sequence: { text: choice.text, finish_reason: finishReason(choice.finish_reason), completion_tokens: answer.usage.completion_tokens },
    promptTokens: answer.usage.prompt_tokens,
  };
}
