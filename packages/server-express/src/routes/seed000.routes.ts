import {
  canonicalMetricName, CoreError, EPOCH_LIMITS, KNOWN_METRIC_KEYS, SEED000_METRICS, toEChartsOption, toSeed000ChartConfig, toSeed000MetricsData,
  type ChartLocale, type EpochMetrics, type Model,
} from '@yoloops/core';
import { z } from 'zod';
import { HttpError } from '../http/errors.js';
import { defineRoute, type Route } from '../http/route.js';
import type { AppServices } from '../services.js';
import { errorResponses, refParam } from './params.js';
import { jobSeries } from './models.routes.js';

/**
 * Seed 000's query integers, validated here rather than by the schema so a bad value is a 400 in the
 * `{code,message,data}` envelope (the seed's "请求参数错误"), not a 422; the origin's silent fallback to
 * the default on a non-integer is not kept. Documented as integers.
 */
const epochQuery = (description: string) => z.string().optional().meta({ type: 'integer', minimum: 0, description });
const localeQuery = z.string().optional().meta({ type: 'string', enum: ['zh', 'en'], description: 'Label language (default zh, the seed\'s text).' });

const RangeQuery = z.object({
  start_epoch: epochQuery('First epoch (default 1).'),
  end_epoch: epochQuery('Last epoch, inclusive (default 0 = no upper bound).'),
  locale: localeQuery,
});

const Seed000ModelParams = z.object({ model_id: refParam('model_id', 'model', 'model_…') });

const DEFAULT_METRICS = SEED000_METRICS.map(([name]) => name).join(',');

const ChartQuery = RangeQuery.extend({
  metrics: z
    .string()
    .max(2000)
    .optional()
    .describe(`Comma-separated metrics (default ${DEFAULT_METRICS}); seed names, Ultralytics names (mAP50(B)…) or canonical keys. Names the run never reported and that yoloops does not know are ignored.`),
});

const invalid = (message: string) => new HttpError(400, message, 'invalid_query');

function parseEpoch(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!/^\s*\d{1,7}\s*$/.test(raw)) throw invalid(`${name} must be a non-negative integer (got ${JSON.stringify(raw.slice(0, 32))})`);
  const value = Number(raw);
  if (value > EPOCH_LIMITS.maxEpoch) throw invalid(`${name} must be at most ${EPOCH_LIMITS.maxEpoch}`);
  return value;
}

function parseRange(query: { start_epoch?: string; end_epoch?: string }): { start_epoch: number; end_epoch: number } {
  const start = parseEpoch('start_epoch', query.start_epoch, 1);
  const end = parseEpoch('end_epoch', query.end_epoch, 0);
  if (end !== 0 && start > end) throw invalid(`start_epoch (${start}) must not be greater than end_epoch (${end})`);
  return { start_epoch: start, end_epoch: end };
}

function parseLocale(raw: string | undefined): ChartLocale {
  if (raw === undefined || raw === '' || raw === 'zh') return 'zh';
  if (raw === 'en') return 'en';
  throw invalid('locale must be zh or en');
}

/** The registered model, or seed 000's 404 `模型不存在`. */
async function findModel(services: AppServices, modelId: string): Promise<Model> {
  try {
    return await services.models.get(modelId);
  } catch (error) {
    if (error instanceof CoreError && error.code === 'NOT_FOUND') throw new HttpError(404, '模型不存在', 'model_not_found');
    throw error;
  }
}

/** A model's epochs in range: its training job's stored metrics; an uploaded model has none (never invented). */
async function modelSeries(services: AppServices, model: Model, range: { start_epoch: number; end_epoch: number }): Promise<EpochMetrics[]> {
  if (!model.job_id) return [];
  return jobSeries(services, model.job_id, { start: range.start_epoch, ...(range.end_epoch !== 0 ? { end: range.end_epoch } : {}) });
}

/** Requested metric names: trimmed, empties dropped; a name is kept when yoloops knows it or the run reported it. */
function pickMetrics(raw: string | undefined, series: readonly EpochMetrics[]): string[] {
  const requested = (raw ?? DEFAULT_METRICS).split(',').map((name) => name.trim()).filter((name) => name.length > 0);
  const reported = new Set(series.flatMap((row) => Object.keys(row.metrics).map(canonicalMetricName)));
  return requested.filter((name) => {
    const key = canonicalMetricName(name);
    return reported.has(key) || KNOWN.has(key.replace(/^val_/, ''));
  });
}

const KNOWN: ReadonlySet<string> = new Set(KNOWN_METRIC_KEYS);

const ModelInfoSchema = z
  .object({ model_id: z.string(), model_name: z.string(), description: z.string() })
  .meta({ id: 'Seed000ModelInfo' });
const nullableColumn = z.array(z.number().nullable());
const TrainingMetricsSchema = z
  .object({
    model_info: ModelInfoSchema,
    metrics_data: z
      .object({ epochs: z.array(z.number().int()), loss: nullableColumn, accuracy: nullableColumn, recall: nullableColumn, prec: nullableColumn, f1: nullableColumn })
      .describe('loss as stored; accuracy/recall/prec/f1 in percent (0–100); null where the run did not report the metric.'),
    chart_config: z.object({ title: z.string(), legend: z.array(z.string()), x_axis: z.array(z.string()) }),
  })
  .meta({ id: 'Seed000TrainingMetrics' });
const EChartsOptionSchema = z.record(z.string(), z.unknown()).describe('An ECharts option (title, tooltip, legend, grid, toolbox, xAxis, yAxis[], series[]).').meta({ id: 'EChartsOption' });

export const seed000Routes: Route[] = [
  defineRoute({
    method: 'get', path: '/api/models/{model_id}/training-metrics', operationId: 'getSeed000TrainingMetrics', summary: 'Training metrics of a model (seed 000)', tags: ['seed000'],
    description: 'model_info, metrics_data and chart_config as seed 000 shapes them. A model without metrics gets empty arrays — never invented numbers.',
    dialect: 's000', params: Seed000ModelParams, query: RangeQuery,
    responses: { 200: { description: 'Metrics', schema: TrainingMetricsSchema }, ...errorResponses(400, 404) },
    handler: async ({ params, query, services }) => {
      const range = parseRange(query);
      const locale = parseLocale(query.locale);
      const model = await findModel(services, params.model_id);
      const metricsData = toSeed000MetricsData(await modelSeries(services, model, range), range);
      const modelName = model.name ?? model.model_id;
      return {
        model_info: { model_id: model.model_id, model_name: modelName, description: model.description ?? `模型 ${modelName} 的训练指标` },
        metrics_data: metricsData,
        chart_config: toSeed000ChartConfig(metricsData, locale),
      };
    },
  }),
  defineRoute({
    method: 'get', path: '/api/models/{model_id}/training-metrics/chart', operationId: 'getSeed000TrainingChart', summary: 'ECharts option of a model\'s training metrics (seed 000)', tags: ['seed000'],
    description: '`data` is the ECharts option itself. Loss and 0–100 metrics sit on separate y-axes; long runs get dataZoom and are downsampled.',
    dialect: 's000', params: Seed000ModelParams, query: ChartQuery,
    responses: { 200: { description: 'ECharts option', schema: EChartsOptionSchema }, ...errorResponses(400, 404) },
    handler: async ({ params, query, services }) => {
      const range = parseRange(query);
      const locale = parseLocale(query.locale);
      const model = await findModel(services, params.model_id);
      const series = await modelSeries(services, model, range);
      return toEChartsOption(series, { metrics: pickMetrics(query.metrics, series), locale });
    },
  }),
];
