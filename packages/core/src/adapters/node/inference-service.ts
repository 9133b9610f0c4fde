import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import sharp from 'sharp';
import yazl from 'yazl';
import { CoreError, isCoreError, NotFoundError, TooLargeError, UnsupportedError, ValidationError } from '../../errors.js';
import { drawDetectionsRaw } from '../../inference/draw/draw-detections-raw.js';
import { renderResultsCsv, type SessionImageResult, type SessionMetadata } from '../../inference/inference-results.js';
import type { Detection, DetectionResult } from '../../inference/inference.types.js';
import type { Model } from '../../models/model.schema.js';
import type { ModelService } from '../../models/model-service.js';
import type { Clock } from '../../platform/clock.port.js';
import { createId, RESOURCE_ID_PATTERN } from '../../platform/ids.js';
import type { BlobStore } from '../../storage/blob-store.port.js';
import { createDetectorCache, type DetectorCache } from './create-detector-cache.js';
import type { Detector } from './create-detector.js';
import { processVideo } from '../ffmpeg/ffmpeg-video.js';
import { drawDetections } from '../sharp/sharp-draw-detections.js';

/** An uploaded image: its client file name and bytes. */
export interface ImageUpload {
  filename: string;
  data: Uint8Array;
}

/** An uploaded video, stored in the data root's scratch area until `discardVideo`. */
export interface VideoUpload {
  key: string;
  path: string;
  filename: string;
}

export interface InferenceServiceDeps {
  models: ModelService;
  /** Local storage: sessions live under `inference_results/`, uploads in flight under `tmp/`. */
  blobs: BlobStore & { localPath(key: string): string };
  clock: Clock;
  detectors?: DetectorCache;
  /** Largest image, width × height (default 40 MP). */
  maxImagePixels?: number;
  /** Largest uploaded video (default 2 GiB). */
  maxVideoBytes?: number;
  /** Inference requests admitted at once (uploads being read included); the rest are refused as busy (default 8). */
  maxConcurrentRequests?: number;
  /** Threads a model's runs use at once (default: the machine's available parallelism). */
  intraOpNumThreads?: number;
  /** Parallel sessions per model for streams of runs (default 2, 4 from 8 cores; 0: one session, least memory). */
  parallelRuns?: number;
  /** onnxruntime execution providers, e.g. `['cuda']` (default CPU). */
  executionProviders?: readonly string[];
}

/** One SSE event of the video stream route, as the origin sent them. */
export type VideoStreamEvent =
  | { type: 'info'; fps: number; width: number; height: number; total_frames: number }
  | { type: 'frame'; frame_number: number; frame_data: string; detections: { class_id: number; class_name: string; conf: number; bbox: [number, number, number, number] }[] }
  | { type: 'complete'; processed_frames: number };

const SESSIONS = 'inference_results';
const FIXED_MTIME = new Date('2000-01-01T00:00:00Z');

/** The extension a scratch video keeps (ffmpeg sniffs the content anyway): a short alphanumeric one, else `.mp4`. */
const videoExtension = (filename: string) => /\.[A-Za-z0-9]{1,8}$/.exec(filename)?.[0].toLowerCase() ?? '.mp4';

/**
 * The S001 inference use cases on the embedded platform: single and batch detection, saved sessions
 * (annotated JPEGs, results.csv, metadata.json, ZIP export), and video (whole MP4 or streamed frames).
 * Sessions of detectors are cached per model and dropped by `evict` when a model changes.
 */
export function createInferenceService(deps: InferenceServiceDeps) {
  const { models, blobs, clock } = deps;
  const detectors = deps.detectors ?? createDetectorCache({
    ...(deps.maxImagePixels ? { maxPixels: deps.maxImagePixels } : {}),
    ...(deps.intraOpNumThreads === undefined ? {} : { intraOpNumThreads: deps.intraOpNumThreads }),
    ...(deps.parallelRuns === undefined ? {} : { parallelRuns: deps.parallelRuns }),
    ...(deps.executionProviders === undefined ? {} : { executionProviders: deps.executionProviders }),
  });
  const maxPixels = deps.maxImagePixels ?? 40_000_000;
  const maxInFlight = Math.max(1, deps.maxConcurrentRequests ?? 8);
  let inFlight = 0;

  async function detectorFor(model: Model): Promise<Detector> {
    const onnx = model.weights.find((w) => w.format === 'onnx');
    if (!onnx) {
      throw new UnsupportedError(
        `model ${model.model_id} has only PyTorch weights (.pt), which yoloops never loads; export it to ONNX (yolo export format=onnx) and upload the .onnx`,
        { reason: 'no_onnx_weights', details: { model_id: model.model_id } },
      );
    }
    return detectors.get(model.model_id, {
      weightsPath: blobs.localPath(models.weightsKey(model, onnx.file)), sha256: onnx.sha256, ...(model.classes.length > 0 ? { classes: model.classes } : {}),
    });
  }

  /**
   * Runs `work` on the model's cached detector. A detector closed under it (the model changed, or the
   * cache made room for another model) is fetched again, once.
   */
  async function onDetector<R>(model: Model, work: (detector: Detector) => Promise<R>): Promise<R> {
    try {
      return await work(await detectorFor(model));
    } catch (error) {
      if (!(isCoreError(error) && error.reason === 'detector_closed')) throw error;
      return work(await detectorFor(model));
    }
  }

  /** Names an image in an error, so a batch of many says which file was bad. */
  const withFilename = (error: unknown, filename: string): unknown => {
    if (isCoreError(error) && error.code === 'INVALID_INPUT' && !error.message.includes(filename)) {
      return new ValidationError(`${filename || 'image'}: ${error.message}`, { ...(error.reason ? { reason: error.reason } : {}), details: error.details, cause: error });
    }
    return error;
  };

  async function detectAll(detector: Detector, images: readonly ImageUpload[], conf: number): Promise<DetectionResult[]> {
    try {
      return await detector.detectBatch(images.map((i) => i.data), { conf });
    } catch (error) {
      // Name the file: run them one by one to find which one failed.
      for (const image of images) {
        try {
          await detector.detect(image.data, { conf });
        } catch (single) {
          throw withFilename(single, image.filename);
        }
      }
      throw error;
    }
  }

  async function storeVideo(filename: string, body: Readable): Promise<VideoUpload> {
    const key = `tmp/videos/${randomUUID()}${videoExtension(filename)}`;
    const max = deps.maxVideoBytes ?? 2 * 1024 ** 3;
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _e, callback) {
        size += chunk.length;
        if (size > max) callback(new TooLargeError(`video "${filename}" is larger than the ${max}-byte limit`, { reason: 'upload_too_large' }));
        else callback(null, chunk);
      },
    });
    body.on('error', (error) => meter.destroy(error));
    meter.on('error', () => {});
    try {
      await blobs.write(key, body.pipe(meter), { durable: false });
    } catch (error) {
      body.resume();
      await blobs.delete(key);
      throw error;
    }
    if (size === 0) {
      await blobs.delete(key);
      throw new ValidationError(`video "${filename}" is empty (0 bytes)`, { reason: 'invalid_video' });
    }
    return { key, path: blobs.localPath(key), filename };
  }

  const frameDetections = (detections: readonly Detection[]) =>
    detections.map((d) => ({ class_id: d.class_id, class_name: d.class_name, conf: d.conf, bbox: [Math.trunc(d.x1), Math.trunc(d.y1), Math.trunc(d.x2), Math.trunc(d.y2)] as [number, number, number, number] }));

  return {
    /**
     * Admits one inference request before its upload is read (bounded memory under load): returns the
     * release function, or throws a busy error (503 with `Retry-After`) when `maxConcurrentRequests` run.
     */
    admit(): () => void {
      if (inFlight >= maxInFlight) {
        throw new CoreError('EXTERNAL_FAILURE', `inference is busy (${maxInFlight} requests running); retry shortly`, { reason: 'busy', details: { retry_after_s: 1 } });
      }
      inFlight++;
      let released = false;
      return () => {
        if (!released) inFlight--;
        released = true;
      };
    },

    /** `POST /infer/{model_id}`. */
    async detect(modelId: string, image: ImageUpload, options: { conf: number }) {
      const model = await models.get(modelId);
      const result = await onDetector(model, (detector) => detector.detect(image.data, { conf: options.conf })).catch((error: unknown) => {
        throw withFilename(error, image.filename);
      });
      return { model_id: modelId, detections: result.detections, image_width: result.image_width, image_height: result.image_height };
    },

    /** `POST /infer/batch/run`: per model → per image; a bad image fails the call, an unusable model gets an `error`. */
    async batch(modelIds: readonly string[], images: readonly ImageUpload[], options: { conf: number }) {
      const results = [];
      for (const modelId of modelIds) {
        let model: Model;
        try {
          model = await models.get(modelId);
          await detectorFor(model);
        } catch (error) {
          if (!isCoreError(error)) throw error;
          results.push({ model_id: modelId, error: error.message, images: [] });
          continue;
        }
        const { found, classes } = await onDetector(model, async (detector) => ({ found: await detectAll(detector, images, options.conf), classes: detector.spec.classNames }));
        results.push({
          model_id: modelId, model_name: model.base_model ?? model.name ?? modelId, classes,
          images: found.map((r, i) => ({ filename: images[i]!.filename, image_width: r.image_width, image_height: r.image_height, detections: r.detections, detection_count: r.detections.length })),
        });
      }
      return { results, total_models: modelIds.length, total_images: images.length };
    },

    /** `POST /infer/{model_id}/export`: detects, then saves annotated JPEGs, results.csv and metadata.json as one session. */
    async exportSession(modelId: string, images: readonly ImageUpload[], options: { conf: number }) {
      const model = await models.get(modelId);
      const found = await onDetector(model, (detector) => detectAll(detector, images, options.conf));
      const sessionId = createId('session', clock);
      const dir = `${SESSIONS}/${sessionId}`;
      const results: SessionImageResult[] = [];
      try {
        for (let i = 0; i < images.length; i++) {
          const image = images[i]!;
          const r = found[i]!;
          const imageUuid = randomUUID();
          await blobs.write(`${dir}/images/${imageUuid}.jpg`, await drawDetections(image.data, r, { maxPixels }), { durable: false });
          results.push({
            image_uuid: imageUuid, image_filename: image.filename, model_id: modelId, image_width: r.image_width, image_height: r.image_height,
            detection_count: r.detections.length, detections: r.detections,
          });
        }
        const metadata: SessionMetadata = {
          session_id: sessionId, model_id: modelId, created_at: clock.now().toISOString(), total_images: results.length,
          total_detections: results.reduce((n, r) => n + r.detection_count, 0),
        };
        await blobs.write(`${dir}/results.csv`, renderResultsCsv(results));
        await blobs.write(`${dir}/metadata.json`, `${JSON.stringify(metadata, null, 2)}\n`);
      } catch (error) {
        await blobs.delete(dir);
        throw error;
      }
      return { session_id: sessionId, results, session_dir: blobs.localPath(dir) };
    },

    /** `GET /infer/results/{session_id}/export`: the session folder as a ZIP. */
    async sessionZip(sessionId: string): Promise<{ filename: string; stream: Readable }> {
      const dir = `${SESSIONS}/${sessionId}`;
      const keys = RESOURCE_ID_PATTERN.test(sessionId) ? await blobs.list(dir) : [];
      if (keys.length === 0) throw new NotFoundError('Inference session not found', { details: { session_id: sessionId } });
      const zip = new yazl.ZipFile();
      const output = zip.outputStream as Readable;
      void (async () => {
        try {
          for (const key of keys) zip.addReadStream(await blobs.read(key), key.slice(dir.length + 1), { mtime: FIXED_MTIME, compress: !key.endsWith('.jpg') });
          zip.end();
        } catch (error) {
          output.destroy(error as Error);
        }
      })();
      return { filename: `${sessionId}_results.zip`, stream: output };
    },

    /** Streams an uploaded video into scratch space (size-capped). */
    receiveVideo: storeVideo,
    discardVideo: (video: VideoUpload) => blobs.delete(video.key),

    /** `POST /infer/video/{model_id}`: every frame annotated into an H.264 MP4, returned as base64 with statistics. */
    async video(modelId: string, video: VideoUpload, options: { conf: number; signal?: AbortSignal }) {
      const model = await models.get(modelId);
      const { parallelism } = await detectorFor(model); // unusable models fail before any video work
      const outKey = `${video.key}.annotated.mp4`;
      try {
        const run = await processVideo({
          input: video.path, encodeTo: blobs.localPath(outKey), ...(options.signal ? { signal: options.signal } : {}),
          detectAhead: parallelism + 1,
          detectFrame: (frame) => onDetector(model, (detector) => detector.detect(frame, { conf: options.conf, priority: 'throughput' })),
          annotate: (frame, result) => Buffer.from(drawDetectionsRaw(frame, result.detections).data.buffer, frame.data.byteOffset, frame.data.length),
        });
        const data = await readFile(blobs.localPath(outKey));
        return {
          model_id: modelId,
          video_data: data.toString('base64'),
          video_info: { fps: run.info.fps, width: run.info.width, height: run.info.height, total_frames: run.info.total_frames, processed_frames: run.processed_frames },
          summary: {
            total_detections: run.results.reduce((n, r) => n + r.detections.length, 0),
            frames_with_detections: run.results.filter((r) => r.detections.length > 0).length,
          },
        };
      } finally {
        await blobs.delete(outKey);
      }
    },

    /** `POST /infer/video/{model_id}/stream`: `info`, one `frame` per frame (JPEG q80, base64), `complete`. */
    async videoStream(modelId: string, video: VideoUpload, options: { conf: number; signal?: AbortSignal }, send: (event: VideoStreamEvent) => Promise<void>) {
      const model = await models.get(modelId);
      const { parallelism } = await detectorFor(model);
      const run = await processVideo({
        input: video.path, ...(options.signal ? { signal: options.signal } : {}),
        detectAhead: parallelism + 1,
        detectFrame: (frame) => onDetector(model, (detector) => detector.detect(frame, { conf: options.conf, priority: 'throughput' })),
        annotate: (frame, result) => Buffer.from(drawDetectionsRaw(frame, result.detections).data.buffer, frame.data.byteOffset, frame.data.length),
        onInfo: (info) => send({ type: 'info', fps: info.fps, width: info.width, height: info.height, total_frames: info.total_frames }),
        onFrame: async (frame, result, annotated) => {
          const jpeg = await sharp(annotated, { raw: { width: frame.width, height: frame.height, channels: 3 } }).jpeg({ quality: 80 }).toBuffer();
          await send({ type: 'frame', frame_number: frame.index + 1, frame_data: jpeg.toString('base64'), detections: frameDetections(result.detections) });
        },
      });
      await send({ type: 'complete', processed_frames: run.processed_frames });
    },

    /** Drops a model's cached session (model updated or deleted). */
    evict: (modelId: string) => detectors.evict(modelId),
    close: () => detectors.close(),
  };
}

export type InferenceService = ReturnType<typeof createInferenceService>;
