import { isCoreError } from '@yoloops/core';
import type { z } from 'zod';
import { openSse } from '../http/sse.js';
import { defineRoute, type Route } from '../http/route.js';
import { abortOnClose, modelLookup } from './generation-http.js';
import { InferenceGenerateRequestSchema } from './generation.schemas.js';
import { errorResponses } from './params.js';

type StreamRequest = z.infer<typeof InferenceGenerateRequestSchema>;

/** Our streaming generation: the text as it is made, as Server-Sent Events. */
export const inferenceStreamRoutes: Route[] = [
  defineRoute<undefined, undefined, StreamRequest>({
    tags: ['seed002-inference'], dialect: 's002', rateLimit: 'infer', method: 'post', path: '/api/v1/inference/stream', operationId: 'streamInference',
    summary: 'Generate text as Server-Sent Events',
    description:
      'The body of `POST /api/v1/inference/generate`. Each event is `data: {"text": "…"}` (the next piece of the text); the last one carries `finish_reason`, ' +
      '`model_id`, `backend` and `latency_ms`, then `data: [DONE]`. A model that is unknown, busy or down answers before the stream starts (404, 503 + Retry-After); ' +
      'a failure during it is a `data: {"error": {"message", "code"}}` event. Closing the connection stops the generation.',
    body: InferenceGenerateRequestSchema,
    responses: { 200: { description: 'The stream', contentType: 'text/event-stream' }, ...errorResponses(404, 422, 503) },
    handler: async ({ body, req, res, services }) => {
      const params = {
        prompt: body.prompt, limit: { kind: 'new' as const, tokens: body.max_tokens }, temperature: body.temperature, topP: body.top_p,
        ...(body.seed === undefined ? {} : { seed: body.seed }), ...(body.stop ? { stop: body.stop } : {}), signal: abortOnClose(res),
      };
      const started = performance.now();
      const { model, pieces } = await services.generation.stream(String(body.model_id), params, modelLookup(services, res));
      const iterator = pieces[Symbol.asyncIterator]();
      const first = await iterator.next(); // a model that fails to load answers as a plain error, before the stream
      const sse = openSse(req, res);
      try {
        for (let step = first; !step.done && !sse.closed; step = await iterator.next()) {
          const { text, finish_reason } = step.value;
          if (text !== '') await sse.send(JSON.stringify({ text }));
          if (finish_reason) await sse.send(JSON.stringify({ text: '', finish_reason, model_id: model.ref.id, backend: model.backend, latency_ms: Math.round((performance.now() - started) * 100) / 100 }));
        }
        await sse.send('[DONE]');
      } catch (error) {
        const known = isCoreError(error) ? { message: error.message, code: error.reason ?? error.code.toLowerCase() } : { message: 'generation failed', code: 'internal_error' };
        await sse.send(JSON.stringify({ error: known }));
      } finally {
        sse.end();
        await iterator.return?.(undefined).catch(() => undefined);
      }
    },
  }),
];
