import { CoreError, NotFoundError, type ResourceEntry } from '@yoloops/core';
import type { Response } from 'express';
import { z } from 'zod';
import { receiveSingleFile } from '../http/multipart.js';
import { ownerIdOf, principalOf } from '../http/principal.js';
import { defineRoute, type Route } from '../http/route.js';
import type { AppServices } from '../services.js';
import { entryOf, isNotFound, optionalProject, page, pageQuery, ProjectIdField, visibleEntries } from './catalog-access.js';
import { CatalogDatasetCreateSchema, CatalogDatasetSchema } from './catalog.schemas.js';
import { datasetView, indexedDatasets, isRecordId, newRecordId } from './catalog-views.js';
import { errorResponses, idParam, SHARED_WITH_SEED003 } from './params.js';

const Params = z.object({ dataset_id: idParam('dataset_id').describe('The dataset\'s number (`1`) or its id (`ds_…`).') });
const DatasetList = z.object({ total: z.number().int(), datasets: z.array(CatalogDatasetSchema) }).meta({ id: 'CatalogDatasetList' });
const base = { tags: ['seed002-datasets'], dialect: 's002' as const };
const notFound = () => new NotFoundError('Dataset not found', { reason: 'not_found' });

async function mustEntry(services: AppServices, res: Response, ref: string): Promise<ResourceEntry> {
  const exists = (id: string) => services.datasets.get(id).then(() => ({}), (e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
  const entry = await entryOf(services, res, { kind: 'dataset', ref, exists });
  if (!entry) throw notFound();
  return entry;
}

async function viewOf(services: AppServices, entry: ResourceEntry) {
  if (isRecordId(entry.id)) return datasetView(entry, undefined);
  const ds = await services.datasets.get(entry.id).catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
  if (!ds) throw notFound();
  return datasetView(entry, ds);
}

/** Seed 002's datasets over the platform's real ones: a record (`POST`) becomes a dataset with its upload. */
export const catalogDatasetsRoutes: Route[] = [
  defineRoute({
    ...base, ...SHARED_WITH_SEED003, method: 'get', path: '/api/v1/datasets', operationId: 'listCatalogDatasets', summary: 'List datasets by number',
    description: 'Every dataset (also those uploaded through `POST /datasets/upload`) and every record awaiting its upload; a member sees its own.',
    query: z.object({ project_id: ProjectIdField.optional(), ...pageQuery(50) }),
    responses: { 200: { description: 'A page of datasets', schema: DatasetList }, ...errorResponses(422) },
    handler: async ({ query, res, services }) => {
      const all = await indexedDatasets(services);
      const visible = new Set(visibleEntries(principalOf(res), all.map((i) => i.entry)).map((e) => e.id));
      const rows = all.filter(({ entry }) => visible.has(entry.id) && (query.project_id === undefined || entry.project_id === query.project_id));
      const { total, items } = page(rows, query.skip, query.limit);
      return { total, datasets: items.map(({ entry, resource }) => datasetView(entry, resource)) };
    },
  }),
  defineRoute({
    ...base, method: 'post', path: '/api/v1/datasets', operationId: 'createCatalogDataset', summary: 'Create a dataset record (status pending)', status: 201,
    description: 'Owned by the caller; `project_id`, when given, must be a project the caller may use. `POST /api/v1/datasets/{dataset_id}/upload` then uploads its ZIP.',
    body: CatalogDatasetCreateSchema,
    responses: { 201: { description: 'The pending record', schema: CatalogDatasetSchema }, ...errorResponses(404, 422) },
    handler: async ({ body, res, services }) => {
      const project_id = await optionalProject(services, res, body.project_id);
      const meta = { record: true, name: body.name, description: body.description ?? null, format: body.format };
      return datasetView(await services.resources.ensure('dataset', newRecordId(), { owner_id: ownerIdOf(principalOf(res)), project_id, meta }), undefined);
    },
  }),
  defineRoute({
    ...base, method: 'get', path: '/api/v1/datasets/{dataset_id}', operationId: 'getCatalogDataset', summary: 'One dataset',
    params: Params,
    responses: { 200: { description: 'The dataset', schema: CatalogDatasetSchema }, ...errorResponses(400, 404) },
    handler: async ({ params, res, services }) => viewOf(services, await mustEntry(services, res, params.dataset_id)),
  }),
  defineRoute({
    ...base, method: 'post', path: '/api/v1/datasets/{dataset_id}/upload', operationId: 'uploadCatalogDataset', summary: 'Upload the record\'s dataset ZIP and prepare it',
    description:
      'Streams the ZIP through the same checks as `POST /datasets/upload`, binds the record to the new `ds_…` dataset, then prepares it ' +
      '(default split); `size` and `row_count` are the real bytes and images. A ZIP that fails preparation leaves the record `failed` and answers 400 naming why.',
    params: Params,
    multipart: { fileField: 'file', description: 'The dataset as a .zip file' },
    responses: {
      200: { description: 'Uploaded and prepared', schema: z.object({ message: z.string(), dataset: CatalogDatasetSchema }).meta({ id: 'CatalogDatasetUploaded' }) },
      ...errorResponses(400, 404, 409, 413, 415, 422),
    },
    handler: async ({ params, req, res, services }) => {
      const entry = await mustEntry(services, res, params.dataset_id);
      if (!isRecordId(entry.id)) throw new CoreError('CONFLICT', `Dataset ${entry.number} is already uploaded (${entry.id}); create a new record for another ZIP`, { reason: 'already_uploaded' });
      const ds = await receiveSingleFile(req, { field: 'file' }, (file) => services.datasets.upload({ filename: file.filename, body: file.stream }));
      await services.resources.remove('dataset', ds.dataset_id); // a list may have numbered it already
      const bound = await services.resources.rebind('dataset', entry.id, ds.dataset_id);
      if (!bound) throw notFound();
      await services.datasets.prepare(ds.dataset_id);
      return { message: 'Upload successful', dataset: await viewOf(services, bound) };
    },
  }),
  defineRoute({
    ...base, method: 'delete', path: '/api/v1/datasets/{dataset_id}', operationId: 'deleteCatalogDataset', summary: 'Delete a dataset and its files', status: 204,
    description: 'Deletes the dataset as `DELETE /datasets/{dataset_id}` does (or only the record before its upload); its number is not reused.',
    params: Params,
    responses: { 204: { description: 'Deleted' }, ...errorResponses(400, 404, 409) },
    handler: async ({ params, res, services }) => {
      const entry = await mustEntry(services, res, params.dataset_id);
      if (!isRecordId(entry.id)) await services.datasets.delete(entry.id).catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
      await services.resources.remove('dataset', entry.id);
      await services.resources.remove('task', entry.id);
    },
  }),
];
