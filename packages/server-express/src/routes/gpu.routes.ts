import { GpuHistoryPointSchema, GpuStatusSchema } from '@yoloops/core';
import { z } from 'zod';
import { defineRoute, type Route } from '../http/route.js';
import { errorResponses } from './params.js';

const MinutesQuery = z.object({
  minutes: z
    .string()
    .regex(/^\d{1,4}$/, 'minutes must be a whole number of minutes')
    .default('10')
    .transform(Number)
    .pipe(z.number().int().min(1, 'minutes must be at least 1').max(1440, 'minutes must be at most 1440 (a day)'))
    .describe('How far back, 1–1440 minutes (default 10).'),
});

const GpuHistorySchema = z
  .object({ history: z.array(GpuHistoryPointSchema).describe('Oldest first, one point per GPU per sample (every 10 s by default); empty when no GPU was found at start.') })
  .meta({ id: 'GpuHistory' });

export const gpuRoutes: Route[] = [
  defineRoute({
    method: 'get', path: '/api/v1/gpu', operationId: 'getGpuStatus', summary: 'The machine\'s GPUs now (nvidia-smi)', tags: ['seed002-gpu'], dialect: 's002',
    description:
      'Runs `nvidia-smi --query-gpu=… --format=csv,noheader,nounits` (at most once a second; callers share a reading). Values the driver ' +
      'does not report (`[N/A]`, `[Not Supported]`) are null. With no nvidia-smi, a failing one or no device: `total_gpus: 0`, `metrics: []` ' +
      'and `unavailable_reason` — never invented numbers.',
    responses: { 200: { description: 'GPU status', schema: GpuStatusSchema } },
    handler: async ({ services }) => services.gpu.status(),
  }),
  defineRoute({
    method: 'get', path: '/api/v1/gpu/history', operationId: 'getGpuHistory', summary: 'Sampled GPU utilization and memory of the last minutes', tags: ['seed002-gpu'], dialect: 's002',
    description: 'Samples taken by the server since it started (only while GPUs exist), kept for the configured history (default 60 minutes).',
    query: MinutesQuery,
    responses: { 200: { description: 'GPU history', schema: GpuHistorySchema }, ...errorResponses(422) },
    handler: async ({ services, query }) => ({ history: services.gpu.history(query.minutes) }),
  }),
];
