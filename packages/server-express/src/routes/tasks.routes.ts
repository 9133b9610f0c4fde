import { NotFoundError } from '@yoloops/core';
import { z } from 'zod';
import { principalOf } from '../http/principal.js';
import { defineRoute, type Route } from '../http/route.js';
import { isNumberRef, mayUse, page, pageQuery, ProjectIdField } from './catalog-access.js';
import { TaskSchema } from './catalog.schemas.js';
import { taskRows, taskView } from './catalog-tasks.js';
import { errorResponses, idParam } from './params.js';

const TaskList = z.object({ total: z.number().int(), tasks: z.array(TaskSchema) }).meta({ id: 'TaskList' });
const base = { tags: ['seed002-tasks'], dialect: 's002' as const };

/** Seed 002's tasks: the platform's real work (training jobs, dataset preparations, instruction dataset processing); a member sees its own. */
export const tasksRoutes: Route[] = [
  defineRoute({
    ...base, method: 'get', path: '/api/v1/tasks', operationId: 'listTasks', summary: 'List tasks by number',
    description: 'Training jobs, dataset preparations and instruction dataset processing runs (`POST /api/v1/datasets/process`). `status` is seed 002\'s four states (queued → pending; failed, crashed and stopped → failed); `state` the raw one.',
    query: z.object({
      status: z.enum(['pending', 'running', 'completed', 'failed']).optional(),
      type: z.enum(['training', 'dataset_preparation', 'dataset_processing']).optional(),
      project_id: ProjectIdField.optional(),
      ...pageQuery(100),
    }),
    responses: { 200: { description: 'A page of tasks', schema: TaskList }, ...errorResponses(422) },
    handler: async ({ query, res, services }) => {
      const p = principalOf(res);
      const rows = (await taskRows(services)).filter(({ owner, view }) =>
        mayUse(p, owner) && (query.status === undefined || view.status === query.status) && (query.type === undefined || view.type === query.type) &&
        (query.project_id === undefined || view.project_id === query.project_id));
      const { total, items } = page(rows, query.skip, query.limit);
      return { total, tasks: await Promise.all(items.map((row) => taskView(services, row))) };
    },
  }),
  defineRoute({
    ...base, method: 'get', path: '/api/v1/tasks/{task_id}', operationId: 'getTask', summary: 'One task',
    params: z.object({ task_id: idParam('task_id').describe('The task\'s number, or the job\'s (`job_…`), dataset\'s (`ds_…`) or processing run\'s (`task_…`) id.') }),
    responses: { 200: { description: 'The task', schema: TaskSchema }, ...errorResponses(400, 404) },
    handler: async ({ params, res, services }) => {
      const ref = params.task_id;
      const row = (await taskRows(services)).find((r) => (isNumberRef(ref) ? r.task.number === Number(ref) : r.task.id === ref));
      if (!row || !mayUse(principalOf(res), row.owner)) throw new NotFoundError('Task not found', { reason: 'not_found' });
      return taskView(services, row);
    },
  }),
];
