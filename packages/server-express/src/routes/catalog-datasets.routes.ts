import { CoreError, type ResourceEntry } from '@yoloops/core';
import { z } from 'zod';
import { receiveSingleFile, type UploadedFile } from '../http/multipart.js';
import { ownerIdOf, principalOf } from '../http/principal.js';
import { defineRoute, type Route } from '../http/route.js';
import type { AppServices } from '../services.js';
import { optionalProject, page, pageQuery, ProjectIdField, visibleEntries } from './catalog-access.js';
import { CatalogDatasetCreateSchema, CatalogDatasetSchema } from './catalog.schemas.js';
import { datasetNotFound, deleteEntryDataset, entryView, indexedAllDatasets, mustDatasetEntry, unionView } from './catalog-dataset-union.js';
import { datasetView, isRecordId, newRecordId, recordFormatOf } from './catalog-views.js';
import { errorResponses, idParam, SHARED_WITH_SEED003 } from './params.js';

const Params = z.object({ dataset_id: idParam('dataset_id').describe('The dataset\'s number (`1`) or its id (`ds_…`, `ids_…`).') });
const DatasetList = z
  .object({ total: z.number().int(), count: z.number().int().describe('Seed 003: datasets on this page.'), timestamp: z.string(), datasets: z.array(CatalogDatasetSchema) })
  .meta({ id: 'CatalogDatasetList' });
const base = { tags: ['seed002-datasets'], dialect: 's002' as const };
const INSTRUCTION_FILE = /\.(json|jsonl|ndjson|csv)$/i;

/** A record's file: an instruction dataset when the record's format or the file's extension says so, else a detection ZIP. */
async function uploadRecordFile(services: AppServices, entry: ResourceEntry, file: UploadedFile): Promise<{ id: string; detection: boolean }> {
  const format = recordFormatOf(entry);
  if (format === 'yolo' && !INSTRUCTION_FILE.test(file.filename)) return { id: (await services.datasets.upload({ filename: file.filename, body: file.stream })).dataset_id, detection: true };
  const name = typeof entry.meta.name === 'string' ? entry.meta.name : file.filename;
  const description = typeof entry.meta.description === 'string' ? entry.meta.description : '';
  const ds = await services.instructions.upload({ body: file.stream, filename: file.filename, name, description, ...(format === 'yolo' ? {} : { format }), ownerId: entry.owner_id });
  return { id: ds.id, detection: false };
}

/** Seed 002's datasets over the platform's real ones: a record (`POST`) becomes a dataset with its upload. */
export const catalogDatasetsRoutes: Route[] = [
  defineRoute({
    ...base, ...SHARED_WITH_SEED003, method: 'get', path: '/api/v1/datasets', operationId: 'listCatalogDatasets', summary: 'List datasets by number',
    description: 'Every detection dataset (also those uploaded through `POST /datasets/upload`), every instruction dataset (`POST /api/v1/datasets/upload`) and every record awaiting its upload; a member sees its own. Each item carries seed 002\'s fields and seed 003\'s (`path`, `size_mb`, `samples_count`); seed 003\'s `count` and `timestamp` sit beside `total`.',
    query: z.object({ project_id: ProjectIdField.optional(), ...pageQuery(50) }),
    responses: { 200: { description: 'A page of datasets', schema: DatasetList }, ...errorResponses(422) },
    handler: async ({ query, res, services }) => {
      const all = await indexedAllDatasets(services);
      const visible = new Set(visibleEntries(principalOf(res), all.map((i) => i.entry)).map((e) => e.id));
      const rows = all.filter(({ entry }) => visible.has(entry.id) && (query.project_id === undefined || entry.project_id === query.project_id));
      const { total, items } = page(rows, query.skip, query.limit);
      return { total, count: items.length, timestamp: new Date().toISOString(), datasets: items.map(({ entry, resource }) => unionView(entry, resource)) };
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
    handler: async ({ params, res, services }) => entryView(services, await mustDatasetEntry(services, res, params.dataset_id)),
  }),
  defineRoute({
    ...base, method: 'post', path: '/api/v1/datasets/{dataset_id}/upload', operationId: 'uploadCatalogDataset', summary: 'Upload the record\'s dataset ZIP and prepare it',
    description:
      'Streams the ZIP through the same checks as `POST /datasets/upload`, binds the record to the new `ds_…` dataset, then prepares it ' +
      '(default split); `size` and `row_count` are the real bytes and images. A ZIP that fails preparation leaves the record `failed` and answers 400 naming why. ' +
      'A record of format json, jsonl or csv (or a file with that extension) becomes an instruction dataset (`ids_…`), checked record by record as `POST /api/v1/datasets/upload` does.',
    params: Params,
    multipart: { fileField: 'file', description: 'The dataset: a .zip file, or a .json, .jsonl or .csv instruction file' },
    responses: {
      200: { description: 'Uploaded and prepared', schema: z.object({ message: z.string(), dataset: CatalogDatasetSchema }).meta({ id: 'CatalogDatasetUploaded' }) },
      ...errorResponses(400, 404, 409, 413, 415, 422),
    },
    handler: async ({ params, req, res, services }) => {
      const entry = await mustDatasetEntry(services, res, params.dataset_id);
      if (!isRecordId(entry.id)) throw new CoreError('CONFLICT', `Dataset ${entry.number} is already uploaded (${entry.id}); create a new record for another ZIP`, { reason: 'already_uploaded' });
      const ds = await receiveSingleFile(req, { field: 'file' }, (file) => uploadRecordFile(services, entry, file));
      await services.resources.remove('dataset', ds.id); // a list may have numbered it already
      const bound = await services.resources.rebind('dataset', entry.id, ds.id);
      if (!bound) throw datasetNotFound();
      if (ds.detection) await services.datasets.prepare(ds.id);
      return { message: 'Upload successful', dataset: await entryView(services, bound) };
    },
  }),
  defineRoute({
    ...base, method: 'delete', path: '/api/v1/datasets/{dataset_id}', operationId: 'deleteCatalogDataset', summary: 'Delete a dataset and its files', status: 204,
    description: 'Deletes the dataset (detection as `DELETE /datasets/{dataset_id}` does, or instruction with its processed outputs), or only the record before its upload; its number is not reused.',
    params: Params,
    responses: { 204: { description: 'Deleted' }, ...errorResponses(400, 404, 409) },
    handler: async ({ params, res, services }) => {
      const entry = await mustDatasetEntry(services, res, params.dataset_id);
      await deleteEntryDataset(services, entry);
      await services.resources.remove('dataset', entry.id);
      await services.resources.remove('task', entry.id);
    },
  }),
];
