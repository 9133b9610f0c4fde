import { readFile } from 'node:fs/promises';
import { InvalidStateError, NotFoundError, ValidationError } from '../../errors.js';
import { decodeDetections } from '../../inference/decode-output.js';
import type { InferenceEngine, InferenceSessionHandle } from '../../inference/inference-engine.port.js';
import type { DetectionModelSpec, DetectionResult, DetectOptions } from '../../inference/inference.types.js';
import { letterbox, type LetterboxPlan } from '../../inference/letterbox.js';
import { readOnnxModelInfo } from '../../inference/onnx/read-onnx-model-info.js';
import type { OutputShapeProbe } from '../../inference/output-shape-probe.port.js';
import { resolveDetectionModel } from '../../inference/resolve-detection-model.js';
import { createOnnxInferenceEngine } from '../onnxruntime/onnx-inference-engine.js';
import { sharedOnnxOutputProbe } from '../onnxruntime/onnx-output-probe.js';
import { fillLetterboxTensor, letterboxLayoutKey, openImage, type ImageInput } from '../sharp/sharp-letterbox.js';

export interface DetectorOptions {
  /** Class names (model.json `classes`); else the model's metadata `names`, else `class_<i>`. */
  classes?: readonly string[];
  /** Runtime (default onnxruntime-node). */
  engine?: InferenceEngine;
  /** Threads the model's runs may use at once (default: the CPUs this process may use, within a container's CPU quota). */
  intraOpNumThreads?: number;
  /** Parallel sessions for streams of runs (see `InferenceLoadOptions.parallelRuns`; 0: one session). */
  parallelRuns?: number;
  /** onnxruntime execution providers, e.g. `['cuda']` (default CPU; see `OnnxInferenceEngineOptions`); ignored with `engine`. */
  executionProviders?: readonly string[];
  /** Largest accepted image, width × height (default 40 MP). */
  maxPixels?: number;
  /** Images per run when the model's batch dimension is dynamic (default 8). */
  maxBatch?: number;
  /** Reads an undeclared output shape from one run on zeros (default: the shared onnxruntime probe process). */
  probe?: OutputShapeProbe;
}

/** A loaded detection model. Runs go to the engine as soon as their input is ready; preparing the next images overlaps them. */
export interface Detector {
  readonly spec: DetectionModelSpec;
  /** Runs the model can execute at once (its parallel sessions); keep this many `detect` calls in flight, plus one, to keep it busy. */
  readonly parallelism: number;
  /** Detects objects in one image (encoded bytes, EXIF orientation applied, or a raw RGB frame). */
  detect(image: ImageInput, options?: DetectOptions): Promise<DetectionResult>;
  /** Detects in several images, in order: batched when the batch dimension allows, else pipelined. */
  detectBatch(images: readonly ImageInput[], options?: DetectOptions): Promise<DetectionResult[]>;
  /** Waits for detections in flight, then frees the session; later calls fail. */
  close(): Promise<void>;
}

/**
 * Reads what the ONNX file says about itself and derives how to run it (the one place the spec comes from);
 * an output shape the file does not declare is read from one probe run (`probe`, default the shared one).
 */
export async function loadDetectionSpec(modelPath: string, classes?: readonly string[], probe: OutputShapeProbe = sharedOnnxOutputProbe()): Promise<DetectionModelSpec> {
  const bytes = await readFile(modelPath).catch((error: unknown) => {
    throw new NotFoundError(`model weights not found: ${modelPath}`, { reason: 'weights_missing', cause: error });
  });
  const resolved = await resolveDetectionModel(readOnnxModelInfo(bytes), { ...(classes === undefined ? {} : { classes }), probe, model: modelPath, label: modelPath });
  return resolved.spec;
}

function checkDetectOptions(options: DetectOptions): void {
  const bad = (name: string, value: unknown, want: string) => new ValidationError(`${name} must be ${want}, got ${String(value)}`, { reason: 'invalid_detect_options' });
  if (options.conf !== undefined && !(options.conf >= 0 && options.conf <= 1)) throw bad('conf', options.conf, 'between 0 and 1');
  if (options.iou !== undefined && !(options.iou >= 0 && options.iou <= 1)) throw bad('iou', options.iou, 'between 0 and 1');
  if (options.maxDet !== undefined && !(Number.isInteger(options.maxDet) && options.maxDet > 0)) throw bad('maxDet', options.maxDet, 'a positive integer');
  if (options.priority !== undefined && options.priority !== 'latency' && options.priority !== 'throughput') throw bad('priority', options.priority, "'latency' or 'throughput'");
}

/**
 * Input buffers by length, handed out one per chunk in flight (a buffer must not change during its run).
 * They are `SharedArrayBuffer`-backed so a worker-thread engine reads them without a copy on this thread.
 * `borders` remembers, per batch slot, which letterbox layout's 114 border the buffer already holds.
 */
function createBufferPool(): { take(length: number): Float32Array; give(buffer: Float32Array): void; borders(buffer: Float32Array): string[] } {
  const free: Float32Array[] = [];
  const layouts = new WeakMap<Float32Array, string[]>();
  return {
    borders: (buffer) => {
      let known = layouts.get(buffer);
      if (known === undefined) layouts.set(buffer, (known = []));
      return known;
    },
    take: (length) => {
      const i = free.findIndex((b) => b.length === length);
      return i >= 0 ? free.splice(i, 1)[0]! : new Float32Array(new SharedArrayBuffer(length * Float32Array.BYTES_PER_ELEMENT));
    },
    give: (buffer) => {
      if (free.length < 4) free.push(buffer);
    },
  };
}

/** Runs `task` over `items` with at most `limit` in flight, results in order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Loads an Ultralytics-style ONNX detection model (layout v8, v5 or end-to-end, read from the file)
 * and returns a detector: letterbox (pad 114, RGB, 0–1, NCHW), run, decode, class-aware NMS, boxes in
 * original-image pixels. The same detector serves concurrent calls.
 * @example
 * const detector = await createDetector('yolov8n.onnx', { classes: ['person', 'bicycle'] });
 * const { detections } = await detector.detect(await readFile('bus.jpg'));
 * await detector.close();
 */
export async function createDetector(modelPath: string, options: DetectorOptions = {}): Promise<Detector> {
  const spec = await loadDetectionSpec(modelPath, options.classes, options.probe);
  const engine = options.engine ?? createOnnxInferenceEngine(options.executionProviders ? { executionProviders: options.executionProviders } : {});
  const session = await engine.load(modelPath, {
    ...(options.intraOpNumThreads === undefined ? {} : { intraOpNumThreads: options.intraOpNumThreads }),
    ...(options.parallelRuns === undefined ? {} : { parallelRuns: options.parallelRuns }),
  });
  return detectorOn(session, spec, options);
}

function detectorOn(session: InferenceSessionHandle, spec: DetectionModelSpec, options: DetectorOptions): Detector {
  const pool = createBufferPool();
  const target = { width: spec.inputWidth, height: spec.inputHeight };
  const chunkSize = spec.batch === 'dynamic' ? Math.max(1, options.maxBatch ?? 8) : spec.batch;
  let active = 0;
  let idle: (() => void) | undefined;
  let closed: Promise<void> | undefined;

  const detectChunk = async (images: readonly ImageInput[], detectOptions: DetectOptions): Promise<DetectionResult[]> => {
    const opened = await Promise.all(images.map((image) => openImage(image, { maxPixels: options.maxPixels, fitInto: target })));
    // Like Ultralytics: a dynamic-size model gets minimal stride padding when the chunk's images share a size.
    const auto = spec.dynamicSize && opened.every((o) => o.width === opened[0]!.width && o.height === opened[0]!.height);
    const plans: LetterboxPlan[] = opened.map((o) => letterbox(o.width, o.height, target, { auto, stride: spec.stride }));
    const { inputWidth: w, inputHeight: h } = plans[0]!;
    const batch = spec.batch === 'dynamic' ? images.length : spec.batch;
    const item = 3 * w * h;
    const input = pool.take(batch * item);
    try {
      const borders = pool.borders(input);
      // allSettled: no decode may still be writing into `input` once it is back in the pool
      const filled = await Promise.allSettled(opened.map(async (o, i) => {
        const rgb = await o.resize(plans[i]!);
        const layout = letterboxLayoutKey(plans[i]!);
        fillLetterboxTensor(rgb, plans[i]!, input, { offset: i * item, padding: borders[i] !== layout });
        borders[i] = layout;
      }));
      const failed = filled.find((f) => f.status === 'rejected');
      if (failed) throw failed.reason;
      if (images.length < batch) {
        input.fill(0, images.length * item);
        borders.length = images.length;
      }
      // Straight to the engine, no chaining here: the onnxruntime engine queues runs in its worker, so the
      // next run starts the moment the current one ends, whatever this thread is busy with.
      const output = await session.run(input, [batch, 3, h, w], spec.outputName, { priority: detectOptions.priority ?? 'latency' });
      const detections = decodeDetections(output.data, output.dims, spec, plans, detectOptions);
      return plans.map((p, i) => ({ image_width: p.width, image_height: p.height, detections: detections[i]! }));
    } finally {
      pool.give(input);
    }
  };

  const guarded = async <R>(work: () => Promise<R>): Promise<R> => {
    if (closed) throw new InvalidStateError('the detector is closed', { reason: 'detector_closed' });
    active++;
    try {
      return await work();
    } finally {
      if (--active === 0) idle?.();
    }
  };

  return {
    spec,
    get parallelism() {
      return session.parallelism ?? 1;
    },
    detect: (image, detectOptions = {}) => guarded(async () => {
      checkDetectOptions(detectOptions);
      return (await detectChunk([image], detectOptions))[0]!;
    }),
    detectBatch: (images, detectOptions = {}) => guarded(async () => {
      checkDetectOptions(detectOptions);
      const chunks: ImageInput[][] = [];
      for (let i = 0; i < images.length; i += chunkSize) chunks.push(images.slice(i, i + chunkSize));
      // A chunk per parallel session in flight, plus one decoding and letterboxing meanwhile.
      const streamed = { ...detectOptions, priority: 'throughput' as const };
      return (await mapLimit(chunks, (session.parallelism ?? 1) + 1, (chunk) => detectChunk(chunk, streamed))).flat();
    }),
    close: () => {
      closed ??= (async () => {
        if (active > 0) await new Promise<void>((resolve) => (idle = resolve));
        await session.release();
      })();
      return closed;
    },
  };
}
