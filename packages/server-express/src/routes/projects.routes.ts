import { z } from 'zod';
import { principalOf, ownerIdOf, seesEverything } from '../http/principal.js';
import { defineRoute, type Route } from '../http/route.js';
import { pageQuery, ProjectIdField, usableProject } from './catalog-access.js';
import { ProjectCreateSchema, ProjectSchema, ProjectUpdateSchema } from './catalog.schemas.js';
import { errorResponses } from './params.js';

const ProjectParams = z.object({ project_id: z.string().regex(/^\d{1,15}$/, 'project_id must be a positive integer') });
const ProjectList = z.object({ total: z.number().int(), projects: z.array(ProjectSchema) }).meta({ id: 'ProjectList' });
const base = { tags: ['seed002-projects'], dialect: 's002' as const };

/** Seed 002's projects: a member sees and changes only its own (others' answer 404); admins and auth-off callers all. */
export const projectsRoutes: Route[] = [
  defineRoute({
    ...base, method: 'get', path: '/api/v1/projects', operationId: 'listProjects', summary: 'List projects, oldest first',
    description: '`total` counts every match before skip/limit. A member lists only its own projects (an `owner_id` of someone else matches none).',
    query: z.object({ ...pageQuery(100), owner_id: ProjectIdField.optional().describe('Only this owner\'s projects.') }),
    responses: { 200: { description: 'A page of projects', schema: ProjectList }, ...errorResponses(422) },
    handler: async ({ query, res, services }) => {
      const p = principalOf(res);
      const owner = seesEverything(p) ? query.owner_id : (ownerIdOf(p) ?? -1);
      if (query.owner_id !== undefined && query.owner_id !== owner) return { total: 0, projects: [] };
      return services.projects.list({ skip: query.skip, limit: query.limit, ...(owner === undefined ? {} : { owner_id: owner }) });
    },
  }),
  defineRoute({
    ...base, method: 'post', path: '/api/v1/projects', operationId: 'createProject', summary: 'Create a project owned by the caller', status: 201,
    body: ProjectCreateSchema,
    responses: { 201: { description: 'Created', schema: ProjectSchema }, ...errorResponses(422) },
    handler: ({ body, res, services }) =>
      services.projects.create({ name: body.name, description: body.description ?? null, owner_id: ownerIdOf(principalOf(res)), settings: body.settings ?? {} }),
  }),
  defineRoute({
    ...base, method: 'get', path: '/api/v1/projects/{project_id}', operationId: 'getProject', summary: 'One project',
    params: ProjectParams,
    responses: { 200: { description: 'The project', schema: ProjectSchema }, ...errorResponses(400, 404) },
    handler: ({ params, res, services }) => usableProject(services, res, Number(params.project_id)),
  }),
  defineRoute({
    ...base, method: 'put', path: '/api/v1/projects/{project_id}', operationId: 'updateProject', summary: 'Change name, description, status or settings',
    description: 'Only the fields given change; `updated_at` moves. `settings` replaces the whole object.',
    params: ProjectParams, body: ProjectUpdateSchema,
    responses: { 200: { description: 'Updated', schema: ProjectSchema }, ...errorResponses(400, 404, 422) },
    handler: async ({ params, body, res, services }) => {
      const project = await usableProject(services, res, Number(params.project_id));
      const updated = await services.projects.update(project.id, body);
      return updated ?? usableProject(services, res, project.id);
    },
  }),
  defineRoute({
    ...base, method: 'delete', path: '/api/v1/projects/{project_id}', operationId: 'deleteProject', summary: 'Delete a project', status: 204,
    description: 'Its datasets, jobs and models stay; they only leave the project (`project_id` becomes null).',
    params: ProjectParams,
    responses: { 204: { description: 'Deleted' }, ...errorResponses(400, 404) },
    handler: async ({ params, res, services }) => {
      const project = await usableProject(services, res, Number(params.project_id));
      await services.resources.detachProject(project.id);
      await services.projects.delete(project.id);
    },
  }),
];
