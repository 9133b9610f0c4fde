/**
 * Shared shapes of the inference domain (issue 4). Pure data: no onnxruntime, no sharp, no ffmpeg.
 * The ONNX reader (`onnx/`), the pipeline (decode/NMS/letterbox maths), the Node adapters
 * (`adapters/onnxruntime/`, `adapters/sharp/`, `adapters/ffmpeg/`) and the HTTP routes all speak these types.
 */

/** ONNX tensor element types we care about (TensorProto.DataType numbers). */
export type OnnxElemType = number;

/** One graph input or output: name, element type, and dims (a number, a symbolic name, or null when unknown). */
export interface OnnxTensorInfo {
  name: string;
  elemType: OnnxElemType;
  dims: (number | string | null)[];
}

/** What an ONNX file says about itself, read from its protobuf without loading it into a runtime. */
export interface OnnxModelInfo {
  irVersion: number;
  producerName: string;
  producerVersion: string;
  /** Highest opset of the default (`ai.onnx`, empty domain) operator set. */
  opsetVersion: number;
  /** `metadata_props` as raw strings (Ultralytics writes Python literals: `{0: 'person'}`, `[640, 640]`). */
  metadata: Record<string, string>;
  /** Graph inputs that are not initializers. */
  inputs: OnnxTensorInfo[];
  outputs: OnnxTensorInfo[];
  /** `location` of every tensor stored as external data (initializers and Constant attributes). */
  externalDataLocations: string[];
  /** Elements of all initializers of the main graph (the model's parameter count; quantized models count scales too). */
  totalParams: number;
}

/**
 * How a detection model's output is laid out:
 * - `v8`: YOLOv8/11 `[B, 4+nc, N]` — rows cx, cy, w, h, then one score per class (no objectness);
 * - `v5`: YOLOv5 `[B, N, 5+nc]` — cx, cy, w, h, objectness, class scores (score = obj × cls);
 * - `end2end`: NMS in the model `[B, K, 6]` — x1, y1, x2, y2, score, class.
 */
export type DetectionLayout = 'v8' | 'v5' | 'end2end';

/** Everything the pipeline needs to run a detection model, derived from `OnnxModelInfo` (+ model.json). */
export interface DetectionModelSpec {
  inputName: string;
  outputName: string;
  /** Model input size in pixels; for a dynamic spatial input, the size we letterbox to (metadata `imgsz`, else 640). */
  inputWidth: number;
  inputHeight: number;
  /** True when the model's spatial dims are symbolic. */
  dynamicSize: boolean;
  /** Fixed batch size, or `'dynamic'` when the batch dim is symbolic. */
  batch: number | 'dynamic';
  layout: DetectionLayout;
  /** Number of classes (from the output shape; for `end2end`, from the names). */
  numClasses: number;
  /** One name per class id: model.json classes, else metadata `names`, else `class_<i>`. */
  classNames: string[];
  /** Stride from metadata (default 32). */
  stride: number;
  /** Raw metadata (for `model_info`). */
  metadata: Record<string, string>;
}

/** A detection in original-image pixels (the origin's flat shape, plus `confidence` as the seed doc names it). */
export interface Detection {
  class_id: number;
  class_name: string;
  conf: number;
  confidence: number;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** Per-call options of detection. */
export interface DetectOptions {
  /** Confidence threshold, 0–1 (default 0.25). */
  conf?: number;
  /** IoU threshold of class-aware NMS (default 0.7). */
  iou?: number;
  /** Most detections kept per image (default 300). */
  maxDet?: number;
  /**
   * `throughput` when the image is one of a stream (video frames, a queue): the run may take one of the
   * model's parallel sessions, more images per second but each a little later. Default `latency`.
   * `detectBatch` always runs for throughput.
   */
  priority?: 'latency' | 'throughput';
}

/** Result of running one image. */
export interface DetectionResult {
  image_width: number;
  image_height: number;
  detections: Detection[];
}

/** How an image was letterboxed into the model input: `input = original × scale + pad`. */
export interface LetterboxTransform {
  scale: number;
  padX: number;
  padY: number;
  /** Original image size (after EXIF orientation). */
  width: number;
  height: number;
}

/** Decoded pixels, row-major, interleaved (`RGB` or `RGBA`, 8 bits): a video frame or a decoded image. */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 3 | 4;
}
