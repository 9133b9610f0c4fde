import { CoreError, NotFoundError, type ResourceEntry } from '@yoloops/core';
import type { Response } from 'express';
import { z } from 'zod';
import { receiveSingleFile } from '../http/multipart.js';
import { ownerIdOf, principalOf } from '../http/principal.js';
import { defineRoute, type Route } from '../http/route.js';
import type { AppServices } from '../services.js';
import { entryOf, isNotFound, mayUse, optionalProject, page, pageQuery, ProjectIdField } from './catalog-access.js';
import { CatalogModelCreateSchema, CatalogModelSchema } from './catalog.schemas.js';
import { indexedModels, isRecordId, modelInit, modelView, newRecordId } from './catalog-views.js';
import { errorResponses, idParam, SHARED_WITH_SEED003 } from './params.js';

const Params = z.object({ model_id: idParam('model_id').describe('The model\'s number (`1`) or its id.') });
const ModelList = z
  .object({
    total: z.number().int().describe('Seed 002: models matching, before paging.'),
    models: z.array(CatalogModelSchema),
    count: z.number().int().describe('Seed 003: models in this answer.'),
    timestamp: z.string().describe('Seed 003: when the list was read.'),
  })
  .meta({ id: 'CatalogModelList' });
const base = { tags: ['seed002-models'], dialect: 's002' as const };
const notFound = () => new NotFoundError('Model not found', { reason: 'not_found' });
const getModel = (services: AppServices, id: string) => services.models.get(id).catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));

async function mustEntry(services: AppServices, res: Response, ref: string): Promise<ResourceEntry> {
  const exists = async (id: string) => {
    const model = await getModel(services, id);
    return model && modelInit(services, model);
  };
  const entry = await entryOf(services, res, { kind: 'model', ref, exists });
  if (!entry) throw notFound();
  return entry;
}

async function viewOf(services: AppServices, entry: ResourceEntry) {
  if (isRecordId(entry.id)) return modelView(services, entry, undefined);
  const model = await getModel(services, entry.id);
  if (!model) throw notFound();
  return modelView(services, entry, model);
}

/** Seed 002's models over the registered ones: a record (`POST`) becomes a model with its upload. */
export const catalogModelsRoutes: Route[] = [
  defineRoute({
    ...base, ...SHARED_WITH_SEED003, method: 'get', path: '/api/v1/models', operationId: 'listCatalogModels', summary: 'List models by number',
    description: 'Every registered model (trained or uploaded; detectors and language models) and every record awaiting its upload; a member sees its own. A detector\'s `metrics` come from its training job\'s last stored epoch, a language model\'s from its fine-tuning run. Seed 003 reads `models`, `count`, `timestamp` and each model\'s `id`, `name`, `path`, `base_model`, `created_at`, `size_mb`, `description`.',
    query: z.object({ project_id: ProjectIdField.optional(), ...pageQuery(100) }),
    responses: { 200: { description: 'Models', schema: ModelList }, ...errorResponses(422) },
    handler: async ({ query, res, services }) => {
      const p = principalOf(res);
      const rows = (await indexedModels(services)).filter(({ entry }) => mayUse(p, entry) && (query.project_id === undefined || entry.project_id === query.project_id));
      const { total, items } = page(rows, query.skip, query.limit);
      const models = await Promise.all(items.map(({ entry, resource }) => modelView(services, entry, resource)));
      return { total, models, count: models.length, timestamp: new Date().toISOString() };
    },
  }),
  defineRoute({
    ...base, method: 'post', path: '/api/v1/models', operationId: 'createCatalogModel', summary: 'Create a model record (status pending)', status: 201,
    description: 'Owned by the caller; `project_id`, when given, must be a project the caller may use. `POST /api/v1/models/{model_id}/upload` then registers its weights.',
    body: CatalogModelCreateSchema,
    responses: { 201: { description: 'The pending record', schema: CatalogModelSchema }, ...errorResponses(404, 422) },
    handler: async ({ body, res, services }) => {
      const project_id = await optionalProject(services, res, body.project_id);
      const meta = { record: true, name: body.name, base_model: body.base_model ?? null, framework: body.framework ?? null, version: body.version ?? 'v1.0' };
      return modelView(services, await services.resources.ensure('model', newRecordId(), { owner_id: ownerIdOf(principalOf(res)), project_id, meta }), undefined);
    },
  }),
  defineRoute({
    ...base, ...SHARED_WITH_SEED003, method: 'get', path: '/api/v1/models/{model_id}', operationId: 'getCatalogModel', summary: 'One model',
    params: Params,
    responses: { 200: { description: 'The model', schema: CatalogModelSchema }, ...errorResponses(400, 404) },
    handler: async ({ params, res, services }) => viewOf(services, await mustEntry(services, res, params.model_id)),
  }),
  defineRoute({
    ...base, method: 'post', path: '/api/v1/models/{model_id}/upload', operationId: 'uploadCatalogModel', summary: 'Upload the record\'s model ZIP',
    description: 'The same ZIP and checks as `POST /models/upload`; the record is bound to the registered model and becomes `ready`.',
    params: Params,
    multipart: { fileField: 'file', description: 'The model as a .zip file' },
    responses: {
      200: { description: 'Registered', schema: z.object({ message: z.string(), model: CatalogModelSchema }).meta({ id: 'CatalogModelUploaded' }) },
      ...errorResponses(400, 404, 409, 413, 415, 422),
    },
    handler: async ({ params, req, res, services }) => {
      const entry = await mustEntry(services, res, params.model_id);
      if (!isRecordId(entry.id)) throw new CoreError('CONFLICT', `Model ${entry.number} is already uploaded (${entry.id}); create a new record for other weights`, { reason: 'already_uploaded' });
      const model = await receiveSingleFile(req, { field: 'file' }, (file) => services.models.upload({ filename: file.filename, body: file.stream }));
      await services.resources.remove('model', model.model_id); // a list may have numbered it already
      const bound = await services.resources.rebind('model', entry.id, model.model_id);
      if (!bound) throw notFound();
      return { message: 'Upload successful', model: await modelView(services, bound, model) };
    },
  }),
  defineRoute({
    ...base, method: 'delete', path: '/api/v1/models/{model_id}', operationId: 'deleteCatalogModel', summary: 'Delete a model and its weights', status: 204,
    description: 'Deletes the model as `DELETE /models/{model_id}` does (or only the record before its upload); its number is not reused.',
    params: Params,
    responses: { 204: { description: 'Deleted' }, ...errorResponses(400, 404) },
    handler: async ({ params, res, services }) => {
      const entry = await mustEntry(services, res, params.model_id);
      if (!isRecordId(entry.id)) await services.models.delete(entry.id).catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
      await services.resources.remove('model', entry.id);
    },
  }),
];
