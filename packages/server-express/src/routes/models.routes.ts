import { isCoreError, jobConfig, JobConfigSchema, ModelSchema, toTrainingMetrics, ValidationError, type EpochMetrics, type Model } from '@yoloops/core';
import { renderTrainingCharts } from '@yoloops/core/node';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { receiveSingleFile } from '../http/multipart.js';
import { defineRoute, type Route } from '../http/route.js';
import type { AppServices } from '../services.js';
import { forgetResource, recordOwner, visibleItems } from './ownership.js';
import { errorResponses, refParam } from './params.js';

const ModelIdParams = z.object({ model_id: refParam('model_id', 'model', 'model_…') });

const column = z.array(z.number().nullable());
const FinalMetricsSchema = z
  .object({ mAP50: z.number().nullable(), mAP50_95: z.number().nullable(), precision: z.number().nullable(), recall: z.number().nullable() })
  .meta({ id: 'FinalMetrics' });

/** S001's `training_history`: per-column arrays aligned with `epochs` (fractions, as in results.csv); absent columns are left out. */
const TrainingHistorySchema = z
  .object({
    epochs: z.array(z.number().int()).optional(),
    train_box_loss: column.optional(), train_cls_loss: column.optional(), train_dfl_loss: column.optional(),
    val_box_loss: column.optional(), val_cls_loss: column.optional(), val_dfl_loss: column.optional(),
    metrics_precision: column.optional(), metrics_recall: column.optional(), metrics_mAP50: column.optional(), metrics_mAP50_95: column.optional(),
    final_metrics: FinalMetricsSchema.optional().describe('Last epoch\'s detection metrics; present only with metrics_mAP50.'),
  })
  .meta({ id: 'TrainingHistory' });

const ModelDetailSchema = ModelSchema.extend({
  training_metrics: z
    .object({
      training_history: TrainingHistorySchema.nullable().describe('null while the job has no stored epoch.'),
      job_config: JobConfigSchema.optional().describe('The training job\'s configuration (the S001 UI\'s 训练配置 panel); absent once the job is deleted.'),
    })
    .optional()
    .describe('Present when the model came from a training job (`job_id`).'),
}).meta({ id: 'ModelDetail' });

const ModelUpdateSchema = z
  .object({
    name: z.string().max(500).nullish(),
    description: z.string().max(10_000).nullish(),
    tags: z.array(z.string().max(200)).max(100).nullish(),
  })
  .meta({ id: 'ModelUpdate' });

const ChartQuery = z.object({
  chart_type: z.enum(['loss', 'metrics', 'all']).default('all').describe('loss (2700×750), metrics (2100×1500) or all (both stacked, 2700×2250).'),
  locale: z.enum(['en', 'zh']).default('en').describe('Label language (the origin\'s matplotlib charts are English); zh needs a CJK font, else English.'),
});

/** A job's stored epochs as a metric series (all of them, ascending). */
export async function jobSeries(services: AppServices, jobId: string, range: { start?: number; end?: number } = {}): Promise<EpochMetrics[]> {
  const epochs = await services.jobMetrics.listEpochs(jobId, range);
  return epochs.map(({ epoch, metrics }) => ({ epoch, metrics }));
}

/**
 * The origin's presence rules: `training_metrics` only for a model with a job; `training_history: null`
 * while that job has no epoch. `job_config` (which the origin never managed to send) while the job exists.
 */
async function withTrainingMetrics(services: AppServices, model: Model) {
  if (!model.job_id) return model;
  const [series, job] = await Promise.all([
    jobSeries(services, model.job_id),
    services.jobs.get(model.job_id).catch((error: unknown) => (isCoreError(error) && error.code === 'NOT_FOUND' ? undefined : Promise.reject(error))),
  ]);
  const history = series.length > 0 ? toTrainingMetrics(series) : { training_history: null };
  return { ...model, training_metrics: { ...history, ...(job ? { job_config: jobConfig(job) } : {}) } };
}

export const modelsRoutes: Route[] = [
  defineRoute({
    method: 'post', path: '/models/upload', operationId: 'uploadModel', summary: 'Register a model from a ZIP', tags: ['models'],
    description:
      'Either origin layout: `<id>/model.json + <id>/weights/*` (what export writes) or `model.json + weights/*`; model.json is optional. ' +
      'Weights: `.onnx` and/or `.pt` (stored as opaque bytes, never loaded). Each `.onnx` must parse, have a supported detection layout and keep any ' +
      'external data beside it; an output shape the ONNX leaves undeclared or symbolic is read from one probe run. model.json\'s `model_id` is kept unless taken (then a new id). Read with the same hardened ZIP reader as datasets.',
    multipart: { fileField: 'file', description: 'The model as a .zip file' },
    responses: { 200: { description: 'The registered model', schema: ModelSchema }, ...errorResponses(400, 413, 415, 422) },
    handler: async ({ req, res, services }) => {
      const model = await receiveSingleFile(req, { field: 'file' }, (file) => services.models.upload({ filename: file.filename, body: file.stream }));
      await recordOwner(services, res, 'model', model.model_id);
      return model;
    },
  }),
  defineRoute({
    method: 'get', path: '/models/{model_id}/export', operationId: 'exportModel', summary: 'Download a model as ZIP', tags: ['models'],
    description: '`<model_id>.zip` with `<model_id>/model.json` (weights_path relative) and `<model_id>/weights/*`; uploading it again registers the same weights.',
    params: ModelIdParams,
    responses: { 200: { description: 'The model ZIP', contentType: 'application/zip' }, ...errorResponses(400, 404) },
    handler: async ({ params, services }) => ({ kind: 'stream', contentType: 'application/zip', ...(await services.models.exportZip(params.model_id)) }),
  }),
  defineRoute({
    method: 'get', path: '/models', operationId: 'listModels', summary: 'List registered models, newest first', tags: ['models'],
    description: 'A member sees what it owns and what belongs to its projects; an admin (or anyone with auth off) sees all.',
    responses: { 200: { description: 'All models (with file_size and file_size_mb)', schema: z.object({ models: z.array(ModelSchema) }).meta({ id: 'ModelList' }) } },
    handler: async ({ res, services }) => ({ models: await visibleItems(services, res, 'model', await services.models.list(), (m) => m.model_id) }),
  }),
  defineRoute({
    method: 'get', path: '/models/{model_id}', operationId: 'getModel', summary: 'One model with its training history', tags: ['models'],
    description: '`training_metrics.training_history` holds per-epoch arrays and `final_metrics` as the S001 frontend reads them.',
    params: ModelIdParams,
    responses: { 200: { description: 'The model', schema: ModelDetailSchema }, ...errorResponses(400, 404) },
    handler: async ({ params, services }) => withTrainingMetrics(services, await services.models.get(params.model_id)),
  }),
  defineRoute({
    method: 'put', path: '/models/{model_id}', operationId: 'updateModel', summary: 'Set name, description and tags', tags: ['models'],
    description: 'Fields that are null or absent are left as they are; `updated_at` is set.',
    params: ModelIdParams, body: ModelUpdateSchema,
    responses: { 200: { description: 'Updated', schema: ModelSchema }, ...errorResponses(400, 404, 422) },
    handler: ({ params, body, services }) => services.models.update(params.model_id, body),
  }),
  defineRoute({
    method: 'delete', path: '/models/{model_id}', operationId: 'deleteModel', summary: 'Delete a model and its weights', tags: ['models'],
    description: 'The training job and its metrics are kept.',
    params: ModelIdParams,
    responses: { 200: { description: 'Deleted', schema: z.object({ ok: z.literal(true), message: z.string() }) }, ...errorResponses(400, 404) },
    handler: async ({ params, services }) => {
      await services.models.delete(params.model_id);
      await forgetResource(services, 'model', params.model_id);
      return { ok: true as const, message: `Model ${params.model_id} deleted` };
    },
  }),
  defineRoute({
    method: 'get', path: '/models/{model_id}/charts', operationId: 'getModelCharts', summary: 'Training charts as PNG', tags: ['models'],
    description:
      'Rendered server-side from the same ECharts options as the UI. Attachment `<model_id>_<chart_type>.png`. ' +
      '`all` is both charts stacked (the origin returned only the loss chart); an unknown chart_type is a 422 (the origin answered 500).',
    params: ModelIdParams, query: ChartQuery,
    responses: { 200: { description: 'PNG image', contentType: 'image/png' }, ...errorResponses(400, 404, 422) },
    handler: async ({ params, query, services }) => {
      const model = await services.models.get(params.model_id);
      if (!model.job_id) throw new ValidationError('Model has no associated training job', { reason: 'no_training_job' });
      const series = await jobSeries(services, model.job_id);
      if (series.length === 0) throw new ValidationError('Training results not found', { reason: 'no_training_results' });
      const png = await renderTrainingCharts(series, { chartType: query.chart_type, locale: query.locale });
      return { kind: 'stream', contentType: 'image/png', filename: `${model.model_id}_${query.chart_type}.png`, stream: Readable.from([png]) };
    },
  }),
];
