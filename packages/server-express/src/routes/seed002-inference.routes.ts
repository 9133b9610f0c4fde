import { randomUUID } from 'node:crypto';
import type { Model, ResourceEntry, UpstreamModel } from '@yoloops/core';
import { z } from 'zod';
import { defineRoute, type Route } from '../http/route.js';
import { indexedModels } from './catalog-views.js';
import { abortOnClose, modelLookup } from './generation-http.js';
import { InferenceGenerateRequestSchema, InferenceGenerateResponseSchema, InferenceModelListSchema, type InferenceModelSchema } from './generation.schemas.js';
import { errorResponses } from './params.js';

const base = { tags: ['seed002-inference'], dialect: 's002' as const };
type InferenceModel = z.infer<typeof InferenceModelSchema>;

/** Parameters in words, like seed 002's "7B": B, M or K with at most one decimal. */
export function parameterSize(count: number): string {
  for (const [unit, scale] of [['B', 1e9], ['M', 1e6], ['K', 1e3]] as const) if (count >= scale) return `${Number((count / scale).toFixed(1))}${unit}`;
  return String(count);
}

function registryView(model: Model, entry: ResourceEntry | undefined): InferenceModel {
  return {
    id: model.model_id, name: model.name ?? model.model_id, provider: 'yoloops', size: model.llm_info ? parameterSize(model.llm_info.parameter_count) : null, status: 'ready',
    backend: 'llama.cpp', number: entry?.number ?? null, kind: model.llm_info?.kind ?? null, base_model_id: model.base_model_id ?? null, context_length: model.llm_info?.context_length ?? null,
  };
}

const upstreamView = (m: UpstreamModel): InferenceModel => ({
  id: m.id, name: m.id, provider: m.owned_by ?? 'upstream', size: null, status: 'ready', backend: 'openai-compatible', number: null, kind: null, base_model_id: null, context_length: null,
});

/** Seed 002's inference service, for real: registry GGUF models on llama.cpp and the upstream's models. */
export const seed002InferenceRoutes: Route[] = [
  defineRoute({
    ...base, method: 'get', path: '/api/v1/inference/models', operationId: 'listInferenceModels', summary: 'Language models that can generate',
    description: 'Registry GGUF language models and adapters the caller may use (backend llama.cpp), then the upstream\'s `GET /v1/models` (backend openai-compatible). An upstream that is down leaves its models out and says why in `upstream_error`.',
    query: z.object({}),
    responses: { 200: { description: 'Models', schema: InferenceModelListSchema } },
    handler: async ({ res, services }) => {
      const lookup = modelLookup(services, res);
      const listed = await services.generation.listModels(lookup);
      const entries = new Map((await indexedModels(services)).map(({ entry }) => [entry.id, entry]));
      const registry = listed.registry.filter((m) => m.llm_info).map((m) => registryView(m, entries.get(m.model_id)));
      return { models: [...registry, ...listed.upstream.map(upstreamView)], upstream_error: listed.upstreamError ?? null };
    },
  }),
  defineRoute<undefined, undefined, z.infer<typeof InferenceGenerateRequestSchema>>({
    ...base, method: 'post', path: '/api/v1/inference/generate', operationId: 'generateInference', summary: 'Generate text (seed 002)', rateLimit: 'infer',
    description: 'One text of at most `max_tokens` new tokens with the model `model_id` names (a registry id or number, else an upstream model\'s name). Busy or upstream down: 503 with Retry-After; an unknown model: 404.',
    body: InferenceGenerateRequestSchema,
    responses: { 200: { description: 'Generated', schema: InferenceGenerateResponseSchema }, ...errorResponses(404, 422, 503) },
    handler: async ({ body, res, services }) => {
      const params = {
        prompt: body.prompt, limit: { kind: 'new' as const, tokens: body.max_tokens }, temperature: body.temperature, topP: body.top_p, n: 1,
        ...(body.seed === undefined ? {} : { seed: body.seed }), ...(body.stop ? { stop: body.stop } : {}), signal: abortOnClose(res),
      };
      const out = await services.generation.generate(String(body.model_id), params, modelLookup(services, res));
      const sequence = out.sequences[0]!;
      return {
        id: randomUUID().replace(/-/g, '').slice(0, 8), model: String(body.model_id), model_id: out.model.ref.id, prompt: body.prompt, output: sequence.text, usage: out.usage,
        latency_ms: Math.round(out.seconds * 1e5) / 100, created_at: new Date().toISOString(), backend: out.model.backend, finish_reason: sequence.finish_reason,
      };
    },
  }),
];
