import { z } from 'zod';
import { authSettingsOf } from '../auth/auth-settings.js';
import { principalOf, seesEverything } from '../http/principal.js';
import { defineRoute, type Route } from '../http/route.js';
import { SERVER_VERSION } from '../server-version.js';
import type { AppServices } from '../services.js';
import { detailedHealth, DetailedHealthSchema } from './detailed-health.js';

const PREFIX = '/api/v1';
const s002: { tags: string[]; dialect: 's002' } = { tags: ['seed002-system'], dialect: 's002' };

const ApiIndexSchema = z
  .object({
    message: z.string(), version: z.string(),
    endpoints: z.record(z.string(), z.string()).describe('Each resource family under /api/v1 and its base path (as the origin).'),
    routes: z.array(z.object({ method: z.string(), path: z.string(), summary: z.string(), auth: z.string() })).describe('Every /api/v1 route of the route table.'),
    documentation: z.string(),
  })
  .meta({ id: 'ApiIndex' });

const CountsSchema = z
  .object({ projects: z.number().int(), datasets: z.number().int(), models: z.number().int(), training_jobs: z.number().int(), users: z.number().int().optional() })
  .describe('What the caller sees: everything for an admin (and with auth off, users included), else its own resources.');

const ApiInfoSchema = z
  .object({
    name: z.string(), title: z.string(), version: z.string(), description: z.string(),
    docs_url: z.string(), openapi_url: z.string(), auth_mode: z.enum(['required', 'off']), registration: z.enum(['admin', 'open']),
    counts: CountsSchema,
  })
  .meta({ id: 'ApiInfo' });

async function countsFor(services: AppServices, res: Parameters<typeof principalOf>[0]): Promise<z.infer<typeof CountsSchema>> {
  const principal = principalOf(res);
  if (seesEverything(principal)) {
    const [projects, datasets, models, jobs, users] = await Promise.all([
      services.projects.list({ skip: 0, limit: 1 }), services.datasets.list(), services.models.list(), services.jobs.list(), services.accounts.count(),
    ]);
    return { projects: projects.total, datasets: datasets.length, models: models.length, training_jobs: jobs.length, users };
  }
  const owner_id = principal.kind === 'user' ? principal.userId : -1;
  const [projects, datasets, models, jobs] = await Promise.all([
    services.projects.list({ owner_id, skip: 0, limit: 1 }), services.resources.list('dataset', { owner_id }), services.resources.list('model', { owner_id }), services.resources.list('job', { owner_id }),
  ]);
  return { projects: projects.total, datasets: datasets.length, models: models.length, training_jobs: jobs.length };
}

/** `/api/v1`, `/api/v1/info` and `/api/v1/health[/detailed]`; `routes()` is the whole route table, read when asked. */
export function apiIndexRoutes(routes: () => readonly Route[]): Route[] {
  return [
    defineRoute({
      method: 'get', path: PREFIX, operationId: 'getApiIndex', summary: 'The /api/v1 endpoints, from the route table', ...s002,
      responses: { 200: { description: 'Endpoints', schema: ApiIndexSchema } },
      handler: async () => {
        const own = routes().filter((r) => r.path.startsWith(`${PREFIX}/`));
        const families = [...new Set(own.map((r) => r.path.slice(PREFIX.length + 1).split('/')[0] ?? ''))].filter((f) => f !== '' && !f.startsWith('{'));
        return {
          message: 'yoloops API v1 (AI Platform compatible)', version: SERVER_VERSION,
          endpoints: Object.fromEntries(families.map((f) => [f, `${PREFIX}/${f}`])),
          routes: own.map((r) => ({ method: r.method.toUpperCase(), path: r.path, summary: r.summary, auth: r.auth ?? 'user' })),
          documentation: '/docs',
        };
      },
    }),
    defineRoute({
      method: 'get', path: `${PREFIX}/info`, operationId: 'getApiInfo', summary: 'Name, version, docs, auth mode and counts', ...s002,
      responses: { 200: { description: 'Service info', schema: ApiInfoSchema } },
      handler: async ({ services, req, res }) => {
        const auth = authSettingsOf(req);
        return {
          name: 'yoloops', title: 'yoloops API', version: SERVER_VERSION, description: 'YOLO training platform: datasets, annotations, training, models and inference.',
          docs_url: '/docs', openapi_url: '/openapi.json', auth_mode: auth.mode, registration: auth.registration, counts: await countsFor(services, res),
        };
      },
    }),
    defineRoute({
      method: 'get', path: `${PREFIX}/health`, operationId: 'getApiHealth', summary: 'Liveness (public)', ...s002, auth: 'public',
      responses: { 200: { description: 'Healthy', schema: z.object({ status: z.literal('healthy'), timestamp: z.string() }).meta({ id: 'ApiHealth' }) } },
      handler: async () => ({ status: 'healthy' as const, timestamp: new Date().toISOString() }),
    }),
    defineRoute({
      method: 'get', path: `${PREFIX}/health/detailed`, operationId: 'getApiHealthDetailed', summary: 'Database, disk, GPUs, ffmpeg and trainer checks', ...s002,
      description: '`status` is `healthy` when the database answers a query and the trainer program is found, else `degraded`; GPUs and ffmpeg are reported, never required.',
      responses: { 200: { description: 'Checks', schema: DetailedHealthSchema } },
      handler: async ({ services }) => detailedHealth(services),
    }),
  ];
}
