import type { GenerationParams, TokenUsage } from '@yoloops/core';
import type { z } from 'zod';
import { defineRoute, type Route } from '../http/route.js';
import { checkInt, say } from '../seed003/field-rules.js';
import { isDict, type JsonObject } from '../seed003/python-checks.js';
import { throwIfInvalid } from '../seed003/seed003-request-error.js';
import {
  batchGenerateRequestErrors, generateRequestErrors, SEED003_INVALID, seed003JsonBody, Seed003BatchGenerateRequestSchema, Seed003GenerateRequestSchema,
  validateBatchGenerateRequest, validateGenerateRequest, type BatchGenerateRequest, type GenerateRequest, type GenerationSettings,
} from '../seed003/validation.js';
import { abortOnClose, modelLookup, modelPathOf, seconds } from './generation-http.js';
import { Seed003BatchGenerateResponseSchema, Seed003GenerateResponseSchema } from './generation.schemas.js';
import { errorResponses } from './params.js';

const base = { tags: ['seed003-generation'], dialect: 's003' as const, rateLimit: 'infer' as const };
const MAX_SEED = 2 ** 31 - 1;
type Seeded<T> = T & { seed: number | undefined };

/** Our one extra field, `seed`, checked in the origin's words after its own rules. */
function seedErrors(body: unknown): string[] {
  const errors: string[] = [];
  if (isDict(body)) checkInt(body, 'seed', (n) => n >= 0 && n <= MAX_SEED, say.between('seed', 0, MAX_SEED), errors);
  return errors;
}

const seedOf = (body: unknown) => (body as JsonObject).seed as number | undefined;

/** A seed 003 body: the 415 of a non-JSON body, then the origin's rules and ours, all listed in one 400. */
function validated<T>(message: string, errorsOf: (b: unknown) => string[], validate: (b: unknown) => T) {
  return (_raw: unknown, req: Parameters<typeof seed003JsonBody>[0]): Seeded<T> => {
    const body = seed003JsonBody(req);
    throwIfInvalid(message, [...errorsOf(body), ...seedErrors(body)]);
    return { ...validate(body), seed: seedOf(body) };
  };
}

/** `max_length` is Hugging Face's: prompt tokens + new tokens. */
const paramsOf = (s: Seeded<GenerationSettings>, signal: AbortSignal): Omit<GenerationParams, 'prompt'> => ({
  limit: { kind: 'total', tokens: s.max_length }, temperature: s.temperature, topP: s.top_p, topK: s.top_k, n: s.num_return_sequences,
  ...(s.seed === undefined ? {} : { seed: s.seed }), signal,
});

const sum = (all: TokenUsage[]): TokenUsage => ({
  prompt_tokens: all.reduce((n, u) => n + u.prompt_tokens, 0), completion_tokens: all.reduce((n, u) => n + u.completion_tokens, 0), total_tokens: all.reduce((n, u) => n + u.total_tokens, 0),
});

const DESCRIBE_MODEL =
  '`model_path`: a registered language model\'s id, number or `path` (`GET /api/v1/models`; an adapter runs on its base), else an upstream model\'s name (YOLOOPS_LLM_BASE_URL); ' +
  'absent: the newest trained language model, else the upstream\'s first. Ours: `seed` (0–2147483647) makes sampling repeatable. Busy or upstream down: 503 with Retry-After.';

/** Seed 003's text generation: one prompt, or a batch of up to 50 on the same model. */
export const seed003GenerateRoutes: Route[] = [
  defineRoute<undefined, undefined, Seeded<GenerateRequest>>({
    ...base, method: 'post', path: '/api/v1/generate', operationId: 'generateText', summary: 'Generate text from a prompt',
    description: `\`max_length\` counts the prompt's tokens and the new ones (Hugging Face). ${DESCRIBE_MODEL}`,
    body: Seed003GenerateRequestSchema as unknown as z.ZodType<Seeded<GenerateRequest>>,
    validateBody: validated(SEED003_INVALID.generate, generateRequestErrors, validateGenerateRequest),
    responses: { 200: { description: 'Generated', schema: Seed003GenerateResponseSchema }, ...errorResponses(400, 404, 415, 503) },
    handler: async ({ body, res, services }) => {
      const out = await services.generation.generate(body.model_path, { prompt: body.prompt, ...paramsOf(body, abortOnClose(res)) }, modelLookup(services, res));
      return {
        prompt: body.prompt, generated_texts: out.sequences.map((s) => s.text), model_path: modelPathOf(out.model), generation_time: seconds(out.seconds),
        timestamp: new Date().toISOString(), model_id: out.model.ref.id, backend: out.model.backend, usage: out.usage, finish_reasons: out.sequences.map((s) => s.finish_reason),
      };
    },
  }),
  defineRoute<undefined, undefined, Seeded<BatchGenerateRequest>>({
    ...base, method: 'post', path: '/api/v1/generate/batch', operationId: 'generateTextBatch', summary: 'Generate text for up to 50 prompts',
    description: `The prompts run one after another on one model, as the origin's loop does (each holds one generation slot, so a batch never starves other callers). ${DESCRIBE_MODEL}`,
    body: Seed003BatchGenerateRequestSchema as unknown as z.ZodType<Seeded<BatchGenerateRequest>>,
    validateBody: validated(SEED003_INVALID.generateBatch, batchGenerateRequestErrors, validateBatchGenerateRequest),
    responses: { 200: { description: 'Generated', schema: Seed003BatchGenerateResponseSchema }, ...errorResponses(400, 404, 415, 503) },
    handler: async ({ body, res, services }) => {
      const out = await services.generation.generateBatch(body.model_path, body.prompts, paramsOf(body, abortOnClose(res)), modelLookup(services, res));
      const results = out.results.map((r, i) => ({ prompt: body.prompts[i]!, generated_texts: r.sequences.map((s) => s.text), usage: r.usage, generation_time: seconds(r.seconds) }));
      return {
        results, model_path: modelPathOf(out.model), total_generation_time: seconds(out.seconds), timestamp: new Date().toISOString(),
        model_id: out.model.ref.id, backend: out.model.backend, usage: sum(out.results.map((r) => r.usage)),
      };
    },
  }),
];
