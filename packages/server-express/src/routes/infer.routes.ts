import { ValidationError } from '@yoloops/core';
import { once } from 'node:events';
import { z } from 'zod';
import { receiveFiles, receiveSingleFile } from '../http/multipart.js';
import { defineRoute, type Route } from '../http/route.js';
import { openSse } from '../http/sse.js';
import type { AppServices } from '../services.js';
import { principalOf } from '../http/principal.js';
import { resolveResource } from '../http/resource-access.js';
import { recordOwner } from './ownership.js';
import { errorResponses, refParam } from './params.js';

const ModelIdParams = z.object({ model_id: refParam('model_id', 'model', 'model_…') });
const SessionIdParams = z.object({ session_id: refParam('session_id', 'inference session', 'session_…') });

/** Limits of image uploads for inference (per file, per request). */
export const INFER_LIMITS = { maxFileBytes: 50 * 1024 * 1024, maxFiles: 100, maxTotalBytes: 200 * 1024 * 1024 };

const DetectionSchema = z
  .object({
    class_id: z.number().int(),
    class_name: z.string(),
    conf: z.number().describe('Confidence 0–1 (the origin backend\'s and frontend\'s name).'),
    confidence: z.number().describe('Same as conf (the seed document\'s name).'),
    x1: z.number(), y1: z.number(), x2: z.number(), y2: z.number(),
  })
  .describe('Box corners in original-image pixels (EXIF orientation applied).')
  .meta({ id: 'Detection' });

const SingleResultSchema = z
  .object({ model_id: z.string(), detections: z.array(DetectionSchema), image_width: z.number().int(), image_height: z.number().int() })
  .meta({ id: 'InferenceResult' });

const BatchImageSchema = z
  .object({
    filename: z.string(),
    image_width: z.number().int().optional(),
    image_height: z.number().int().optional(),
    detections: z.array(DetectionSchema),
    detection_count: z.number().int().optional(),
    error: z.string().optional().describe('Why this image failed for this model (the other images still ran).'),
  })
  .meta({ id: 'BatchImageResult' });

const BatchModelSchema = z
  .object({
    model_id: z.string(),
    model_name: z.string().optional().describe('model.json base_model, else the name, else the id (as the origin).'),
    classes: z.array(z.string()).optional(),
    images: z.array(BatchImageSchema),
    error: z.string().optional().describe('Why this model could not run (unknown id, unusable weights).'),
  })
  .meta({ id: 'BatchModelResult' });

const BatchResultSchema = z
  .object({ results: z.array(BatchModelSchema), total_models: z.number().int(), total_images: z.number().int() })
  .meta({ id: 'BatchInferenceResult' });

const SessionImageSchema = z
  .object({
    image_uuid: z.string(), image_filename: z.string(), model_id: z.string(), image_width: z.number().int(), image_height: z.number().int(),
    detection_count: z.number().int(), detections: z.array(DetectionSchema),
  })
  .meta({ id: 'SessionImageResult' });

const SessionSchema = z
  .object({
    session_id: z.string(),
    results: z.array(SessionImageSchema),
    session_dir: z.string().describe('The session folder (annotated images under images/, results.csv, metadata.json); also served under /static/inference_results/<session_id>/.'),
  })
  .meta({ id: 'InferenceSession' });

const VideoResultSchema = z
  .object({
    model_id: z.string(),
    video_data: z.string().describe('The annotated video, base64 MP4 (H.264, yuv420p, faststart: plays in browsers).'),
    video_info: z.object({ fps: z.number(), width: z.number().int(), height: z.number().int(), total_frames: z.number().int(), processed_frames: z.number().int() }),
    summary: z.object({ total_detections: z.number().int(), frames_with_detections: z.number().int() }),
  })
  .meta({ id: 'VideoInferenceResult' });

const confField = { conf: { description: 'Confidence threshold 0–1 (default 0.25).', type: 'number' as const } };

/** `conf` from a form field: default 0.25; anything but a number in [0, 1] is a 400 naming it. */
export function parseConf(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return 0.25;
  const conf = Number(value);
  if (!Number.isFinite(conf) || conf < 0 || conf > 1) throw new ValidationError(`conf must be a number between 0 and 1 (got "${value.slice(0, 50)}")`, { reason: 'invalid_conf' });
  return conf;
}

/** The origin's `model_ids` form field: comma-separated, trimmed, empties dropped, each a plain id. */
function parseModelIds(value: string | undefined): string[] {
  const ids = (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (ids.length === 0) throw new ValidationError('至少需要选择一个模型 (model_ids: select at least one model)', { reason: 'no_models' });
  if (ids.length > 20) throw new ValidationError(`at most 20 models per batch (got ${ids.length})`, { reason: 'too_many_models' });
  return [...new Set(ids)];
}

/** Streams the uploaded video into the data root's scratch area and returns its path and the form fields (also those sent after the file). */
async function receiveVideo(req: Parameters<Route['handler']>[0]['req'], services: AppServices) {
  const received = await receiveSingleFile(req, { field: 'file' }, async (file, fields) => ({ video: await services.inference.receiveVideo(file.filename, file.stream), fields }));
  if (!req.complete) await once(req, 'end');
  return received;
}

/** Runs an inference route inside the service's admission limit (checked before the upload is read). */
async function admitted<T>(req: Parameters<Route['handler']>[0]['req'], services: AppServices, work: () => Promise<T>): Promise<T> {
  let release: () => void;
  try {
    release = services.inference.admit();
  } catch (error) {
    req.resume(); // drain what the client still sends; the 503 goes out right away
    throw error;
  }
  try {
    return await work();
  } finally {
    release();
  }
}

export const inferRoutes: Route[] = [
  defineRoute({
    method: 'post', path: '/infer/{model_id}', operationId: 'inferImage', summary: 'Detect objects in one image', tags: ['inference'],
    rateLimit: 'infer',
    description: 'Letterbox → ONNX → class-aware NMS (IoU 0.7), max 300 boxes, in original-image pixels. Bad images are a 400 naming the problem.',
    params: ModelIdParams,
    multipart: { fileField: 'file', fields: confField, description: 'The image (JPEG, PNG, WebP, GIF, TIFF, AVIF; not SVG)' },
    responses: { 200: { description: 'Detections', schema: SingleResultSchema }, ...errorResponses(400, 404, 413, 415, 422, 503) },
    handler: ({ params, req, services }) => admitted(req, services, async () => {
      const { files, fields } = await receiveFiles(req, { field: 'file', maxFileBytes: INFER_LIMITS.maxFileBytes });
      return services.inference.detect(params.model_id, files[0]!, { conf: parseConf(fields.conf) });
    }),
  }),
  defineRoute({
    method: 'post', path: '/infer/batch/run', operationId: 'inferBatch', summary: 'Run several models on several images', tags: ['inference'],
    rateLimit: 'infer',
    description: 'Per model (request order) → per image (upload order). An unreadable image fails the call (400, as the origin); an unknown model gives that model an `error`.',
    multipart: { fileField: 'files', repeated: true, fields: { model_ids: { description: 'Comma-separated model ids', type: 'string', required: true }, ...confField }, description: 'Images as repeated `files` fields' },
    responses: { 200: { description: 'Results per model', schema: BatchResultSchema }, ...errorResponses(400, 413, 415, 422, 503) },
    handler: ({ req, res, services }) => admitted(req, services, async () => {
      const { files, fields } = await receiveFiles(req, { field: 'files', ...INFER_LIMITS });
      const conf = parseConf(fields.conf);
      const models = await Promise.all(parseModelIds(fields.model_ids).map(async (ref) => ({ ref, id: await resolveResource(services, principalOf(res), 'model', ref) })));
      const ran = await services.inference.batch(models.flatMap((m) => (m.id === undefined ? [] : [m.id])), files, { conf });
      let next = 0; // a model the caller may not see (or an unknown number) answers as an unknown model does
      const results = models.map((m) => (m.id === undefined ? { model_id: m.ref, error: 'Model not found', images: [] } : ran.results[next++]!));
      return { ...ran, results, total_models: models.length };
    }),
  }),
  defineRoute({
    method: 'post', path: '/infer/{model_id}/export', operationId: 'inferAndSave', summary: 'Detect and save an inference session', tags: ['inference'],
    rateLimit: 'infer',
    description: 'Saves annotated JPEGs (`images/<image_uuid>.jpg`), `results.csv` (the origin\'s columns) and `metadata.json`; download it with GET /infer/results/{session_id}/export. Nothing is kept when an image fails.',
    params: ModelIdParams,
    multipart: { fileField: 'files', repeated: true, fields: confField, description: 'Images as repeated `files` fields' },
    responses: { 200: { description: 'The saved session', schema: SessionSchema }, ...errorResponses(400, 404, 413, 415, 422, 503) },
    handler: ({ params, req, res, services }) => admitted(req, services, async () => {
      const { files, fields } = await receiveFiles(req, { field: 'files', ...INFER_LIMITS });
      const session = await services.inference.exportSession(params.model_id, files, { conf: parseConf(fields.conf) });
      await recordOwner(services, res, 'inference_session', session.session_id);
      return session;
    }),
  }),
  defineRoute({
    method: 'get', path: '/infer/results/{session_id}/export', operationId: 'exportInferenceSession', summary: 'Download an inference session as ZIP', tags: ['inference'],
    params: SessionIdParams,
    responses: { 200: { description: '`<session_id>_results.zip`: images/, results.csv, metadata.json', contentType: 'application/zip' }, ...errorResponses(400, 404) },
    handler: async ({ params, services }) => ({ kind: 'stream', contentType: 'application/zip', ...(await services.inference.sessionZip(params.session_id)) }),
  }),
  defineRoute({
    method: 'post', path: '/infer/video/{model_id}', operationId: 'inferVideo', summary: 'Annotate a whole video', tags: ['inference'],
    rateLimit: 'infer',
    description: 'Decodes with ffmpeg (frames piped, never written one by one), detects on every frame, encodes H.264 MP4. 503 naming the program when ffmpeg is not installed.',
    params: ModelIdParams,
    multipart: { fileField: 'file', fields: confField, description: 'The video (any format ffmpeg reads)' },
    responses: { 200: { description: 'Annotated video and statistics', schema: VideoResultSchema }, ...errorResponses(400, 404, 413, 415, 422, 503) },
    handler: ({ params, req, services }) => admitted(req, services, async () => {
      const { video, fields } = await receiveVideo(req, services);
      try {
        return await services.inference.video(params.model_id, video, { conf: parseConf(fields.conf) });
      } finally {
        await services.inference.discardVideo(video);
      }
    }),
  }),
  defineRoute({
    method: 'post', path: '/infer/video/{model_id}/stream', operationId: 'inferVideoStream', summary: 'Annotate a video, streamed frame by frame (SSE)', tags: ['inference'],
    rateLimit: 'infer',
    description:
      'Server-Sent Events over POST: `{"type":"info",fps,width,height,total_frames}`, then per frame `{"type":"frame",frame_number (1-based),frame_data (base64 JPEG),detections[{class_id,class_name,conf,bbox:[x1,y1,x2,y2]}]}`, ' +
      'then `{"type":"complete",processed_frames}`. Failures after the upload arrive as `{"error": "…"}` (HTTP 200, as the origin). A client that goes away stops the work.',
    params: ModelIdParams,
    multipart: { fileField: 'file', fields: confField, description: 'The video (any format ffmpeg reads)' },
    responses: { 200: { description: 'text/event-stream of info, frame and complete events', contentType: 'text/event-stream' }, ...errorResponses(400, 404, 413, 422, 503) },
    handler: ({ params, req, res, services }) => admitted(req, services, async () => {
      const { video, fields } = await receiveVideo(req, services);
      const sse = openSse(req, res);
      const abort = new AbortController();
      res.on('close', () => abort.abort());
      try {
        const conf = parseConf(fields.conf);
        await services.inference.videoStream(params.model_id, video, { conf, signal: abort.signal }, (event) => sse.send(JSON.stringify(event)));
      } catch (error) {
        if (!sse.closed) await sse.send(JSON.stringify({ error: error instanceof Error ? error.message : String(error) }));
      } finally {
        sse.end();
        await services.inference.discardVideo(video);
      }
    }),
  }),
];
