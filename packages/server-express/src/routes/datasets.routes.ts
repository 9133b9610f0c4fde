import { DatasetSchema, SplitRatioSchema, ValidationReportSchema } from '@yoloops/core';
import { z } from 'zod';
import { receiveSingleFile } from '../http/multipart.js';
import { defineRoute, type Route } from '../http/route.js';
import { forgetResource, recordOwner, visibleItems } from './ownership.js';
import { errorResponses, refParam, versionQuery } from './params.js';

const DatasetIdParams = z.object({ dataset_id: refParam('dataset_id', 'dataset', 'ds_…') });

const PrepareBodySchema = z
  .object({
    split_ratio: SplitRatioSchema.nullish().describe('Default {train: 0.8, val: 0.2}; a ZIP with its own splits keeps them unless `resplit`.'),
    classes: z.array(z.string()).max(10_000).nullish().describe('Class names; default: the ZIP\'s data.yaml, else classes.txt, else class_<i> from label ids.'),
    seed: z.number().int().min(0).max(2 ** 31 - 1).nullish().describe('Seed of the split (default 0): same ZIP + seed → same split.'),
    resplit: z.boolean().nullish().describe('Re-split a ZIP that already has train/val folders.'),
  })
  .meta({ id: 'PrepareRequest' });

const PreparedDatasetSchema = DatasetSchema.extend({
  report: ValidationReportSchema,
  data_yaml: z.string(),
}).meta({ id: 'PreparedDataset' });

const DatasetDetailSchema = DatasetSchema.extend({
  report: ValidationReportSchema.optional(),
  sample_images: z.array(z.string()).describe('Up to 5 image paths relative to the data root (served under /static/).'),
}).meta({ id: 'DatasetDetail' });

const zipResponse = (description: string) => ({ 200: { description, contentType: 'application/zip' }, ...errorResponses(400, 404, 409, 422) });

export const datasetRoutes: Route[] = [
  defineRoute({
    method: 'post', path: '/datasets/upload', operationId: 'uploadDataset', summary: 'Upload a dataset ZIP', tags: ['datasets'],
    description: 'Streams the ZIP to disk (size-capped, sha256 recorded) and checks its central directory: unsafe names, links, duplicates, bombs are rejected before anything is kept.',
    multipart: { fileField: 'file', description: 'The dataset as a .zip file' },
    responses: { 200: { description: 'Stored', schema: DatasetSchema }, ...errorResponses(400, 413, 415, 422) },
    handler: async ({ req, res, services }) => {
      const dataset = await receiveSingleFile(req, { field: 'file' }, (file) => services.datasets.upload({ filename: file.filename, body: file.stream }));
      await recordOwner(services, res, 'dataset', dataset.dataset_id);
      return dataset;
    },
  }),
  defineRoute({
    method: 'post', path: '/datasets/{dataset_id}/prepare', operationId: 'prepareDataset', summary: 'Extract, validate, split and write data.yaml', tags: ['datasets'],
    params: DatasetIdParams, body: PrepareBodySchema,
    responses: { 200: { description: 'Prepared', schema: PreparedDatasetSchema }, ...errorResponses(400, 404, 409, 413, 415, 422) },
    handler: ({ params, body, services }) => services.datasets.prepare(params.dataset_id, body),
  }),
  defineRoute({
    method: 'get', path: '/datasets', operationId: 'listDatasets', summary: 'List datasets, newest first', tags: ['datasets'],
    description: 'A member sees what it owns and what belongs to its projects; an admin (or anyone with auth off) sees all.',
    responses: { 200: { description: 'All datasets', schema: z.object({ datasets: z.array(DatasetSchema) }).meta({ id: 'DatasetList' }) } },
    handler: async ({ res, services }) => ({ datasets: await visibleItems(services, res, 'dataset', await services.datasets.list(), (d) => d.dataset_id) }),
  }),
  defineRoute({
    method: 'get', path: '/datasets/{dataset_id}', operationId: 'getDataset', summary: 'One dataset with its validation report', tags: ['datasets'],
    params: DatasetIdParams,
    responses: { 200: { description: 'The dataset', schema: DatasetDetailSchema }, ...errorResponses(400, 404) },
    handler: ({ params, services }) => services.datasets.get(params.dataset_id),
  }),
  defineRoute({
    method: 'put', path: '/datasets/{dataset_id}', operationId: 'updateDataset', summary: 'Set description and tags', tags: ['datasets'],
    params: DatasetIdParams,
    body: z.object({ description: z.string().max(10_000).nullish(), tags: z.array(z.string().max(200)).max(100).nullish() }).meta({ id: 'DatasetUpdate' }),
    responses: { 200: { description: 'Updated', schema: DatasetSchema }, ...errorResponses(400, 404, 422) },
    handler: ({ params, body, services }) => services.datasets.update(params.dataset_id, body),
  }),
  defineRoute({
    method: 'delete', path: '/datasets/{dataset_id}', operationId: 'deleteDataset', summary: 'Delete a dataset and its files', tags: ['datasets'],
    params: DatasetIdParams,
    responses: { 200: { description: 'Deleted', schema: z.object({ ok: z.literal(true), message: z.string() }).meta({ id: 'Deleted' }) }, ...errorResponses(400, 404, 409) },
    handler: async ({ params, services }) => {
      await services.datasets.delete(params.dataset_id);
      await forgetResource(services, 'dataset', params.dataset_id);
      return { ok: true as const, message: `Dataset ${params.dataset_id} deleted` };
    },
  }),
  defineRoute({
    method: 'get', path: '/datasets/{dataset_id}/export/annotated', operationId: 'exportAnnotatedDataset', summary: 'Download images, labels and data.yaml as a ZIP', tags: ['datasets'],
    params: DatasetIdParams, query: z.object({ version: versionQuery }),
    responses: zipResponse('ZIP in the Ultralytics layout'),
    handler: async ({ params, query, services }) => ({ kind: 'stream', contentType: 'application/zip', ...(await services.datasets.exportZip(params.dataset_id, { version: query.version, withLabels: true })) }),
  }),
  defineRoute({
    method: 'get', path: '/datasets/{dataset_id}/export/original', operationId: 'exportOriginalDataset', summary: 'Download images and data.yaml (no labels) as a ZIP', tags: ['datasets'],
    params: DatasetIdParams, query: z.object({ version: versionQuery }),
    responses: zipResponse('ZIP of the images'),
    handler: async ({ params, query, services }) => ({ kind: 'stream', contentType: 'application/zip', ...(await services.datasets.exportZip(params.dataset_id, { version: query.version, withLabels: false })) }),
  }),
];
