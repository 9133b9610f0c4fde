import { NotFoundError } from '@yoloops/core';
import { z } from 'zod';
import { ownerIdOf, principalOf } from '../http/principal.js';
import { defineRoute, type Route } from '../http/route.js';
import { JobWithNotifyUrlSchema, withNotifyUrl } from './job-notify-url.js';
import { errorResponses } from './params.js';

const ExternalJobRequest = z
  .object({ task_id: z.string().describe('The caller\'s own task id: 32 lowercase hex digits (uuid4().hex), as it will send in `trainTaskId`.') })
  .meta({ id: 'RegisterExternalJobRequest' });

export const externalJobRoutes: Route[] = [
  defineRoute({
    method: 'post', path: '/train/jobs/external', operationId: 'registerExternalJob', summary: 'Register a seed 004 caller\'s task before its first report', tags: ['training'],
    description: 'Registers the caller\'s own task id as an external job (`external: true`, queued; nothing runs here), owned by the signed-in user, and answers it with its `notify_url`: the caller reports there without any header. A task id already registered answers that job unchanged (its owner or an admin only). With auth off a first report registers the job by itself too.',
    body: ExternalJobRequest,
    responses: { 200: { description: 'The external job, with its notify URL', schema: JobWithNotifyUrlSchema }, ...errorResponses(400, 404, 409, 422) },
    handler: async ({ body, req, res, services }) => {
      const principal = principalOf(res);
      const { job, registered } = await services.jobs.registerExternal(body.task_id);
      const entry = await services.resources.ensure('job', job.job_id, { owner_id: registered ? ownerIdOf(principal) : null });
      const mayAct = principal.kind === 'local' || (principal.kind === 'user' && (principal.role === 'admin' || entry.owner_id === principal.userId));
      if (!mayAct) throw new NotFoundError('Job not found', { reason: 'job_not_found', details: { job_id: job.job_id } });
      return withNotifyUrl(req, services, job);
    },
  }),
];
