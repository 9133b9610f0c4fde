import sharp, { type OutputInfo } from 'sharp';
import { letterbox, type LetterboxOptions, type LetterboxPlan } from '../../inference/letterbox.js';
import type { RawImage } from '../../inference/inference.types.js';
import { hardenSharp } from './sharp-image-probe.js';
import { DETECT_IMAGE_FORMATS, imageDecodeError, imageProblem, refuseUnsafeBytes } from './sharp-image-errors.js';

/** An encoded image (JPEG, PNG, WebP, TIFF, GIF) or decoded pixels (a video frame). */
export type ImageInput = Uint8Array | RawImage;

/** An image opened for letterboxing: its size after EXIF orientation, and how to get its pixels. */
export interface OpenedImage {
  width: number;
  height: number;
  /** Resizes (exactly to `plan.resizedWidth × resizedHeight`) and returns interleaved RGB bytes. */
  resize(plan: LetterboxPlan): Promise<Uint8Array>;
}

export interface OpenImageOptions {
  /** Largest accepted image, width × height (default 40 MP). */
  maxPixels?: number;
  /**
   * The model input size, when known: decoding starts at once, resized to fit it, while the header is
   * read; `resize` uses that result when its size is the plan's (always, but for rounding ties).
   */
  fitInto?: { width: number; height: number };
}

function isRaw(image: ImageInput): image is RawImage {
  return !(image instanceof Uint8Array);
}

function openRaw(image: RawImage): OpenedImage {
  const { width, height, channels, data } = image;
  if (data.length < width * height * channels) throw imageProblem('truncated', `raw frame has ${data.length} bytes, ${width}×${height}×${channels} needs ${width * height * channels}`);
  return {
    width, height,
    async resize(plan) {
      if (channels === 3 && plan.resizedWidth === width && plan.resizedHeight === height) return data;
      const raw = { width, height, channels };
      return sharp(data, { raw }).removeAlpha().resize(plan.resizedWidth, plan.resizedHeight, { fit: 'fill', kernel: 'linear' }).raw().toBuffer();
    },
  };
}

/**
 * Opens an image for the detection pipeline: reads its header (format allow-list, pixel limit, EXIF
 * orientation) without decoding; `resize` then decodes, orients, resizes and drops alpha in one libvips
 * pass. Every failure is a `ValidationError` with reason `invalid_image` and `details.problem`.
 */
export async function openImage(image: ImageInput, options: OpenImageOptions = {}): Promise<OpenedImage> {
  hardenSharp();
  if (isRaw(image)) return openRaw(image);
  const maxPixels = options.maxPixels ?? 40_000_000;
  refuseUnsafeBytes(image);
  const load = () => sharp(image, { limitInputPixels: maxPixels, failOn: 'truncated', sequentialRead: true });
  const decode = (size: { width: number; height: number; fit: 'fill' | 'inside' }) => load().rotate().removeAlpha().toColourspace('srgb')
    .resize(size.width, size.height, { fit: size.fit, kernel: 'linear' }).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true })
    .catch((error: unknown) => {
      throw imageDecodeError(error, maxPixels);
    });
  const early = options.fitInto && decode({ ...options.fitInto, fit: 'inside' });
  early?.catch(() => undefined); // its failure, if any, is reported by the header read or by `resize`
  const meta = await load().metadata().catch((error: unknown) => {
    throw imageDecodeError(error, maxPixels);
  });
  if (!meta.format || !DETECT_IMAGE_FORMATS.has(meta.format)) {
    throw imageProblem('unsupported_format', `unsupported image format "${meta.format ?? 'unknown'}" (accepted: ${[...DETECT_IMAGE_FORMATS].join(', ')})`);
  }
  const swap = (meta.orientation ?? 1) >= 5;
  const width = swap ? meta.height : meta.width;
  const height = swap ? meta.width : meta.height;
  return {
    width, height,
    async resize(plan) {
      const fits = (info: OutputInfo) => info.channels === 3 && info.width === plan.resizedWidth && info.height === plan.resizedHeight;
      const first = early && (await early);
      if (first && fits(first.info)) return first.data;
      const { data, info } = await decode({ width: plan.resizedWidth, height: plan.resizedHeight, fit: 'fill' });
      if (!fits(info)) throw imageProblem('corrupt', `image decoded to ${info.width}×${info.height}×${info.channels}, expected ${plan.resizedWidth}×${plan.resizedHeight}×3`);
      return data;
    },
  };
}

export interface FillOptions {
  /** Element where the item starts (default 0). */
  offset?: number;
  /** Write the 114 border too (default true); false when this slot already holds the same layout's border. */
  padding?: boolean;
}

/** Identifies where a plan puts the image inside the input: equal keys mean an identical border. */
export function letterboxLayoutKey(plan: LetterboxPlan): string {
  return `${plan.inputWidth}x${plan.inputHeight}:${plan.resizedWidth}x${plan.resizedHeight}+${plan.padX},${plan.padY}`;
}

function fillBorder(plan: LetterboxPlan, out: Float32Array, offset: number): void {
  const { inputWidth: w, inputHeight: h, resizedWidth: rw, resizedHeight: rh, padX, padY } = plan;
  const pad = 114 / 255;
  for (let c = 0; c < 3; c++) {
    const plane = offset + c * w * h;
    out.fill(pad, plane, plane + padY * w);
    for (let y = padY; y < padY + rh; y++) {
      out.fill(pad, plane + y * w, plane + y * w + padX);
      out.fill(pad, plane + y * w + padX + rw, plane + (y + 1) * w);
    }
    out.fill(pad, plane + (padY + rh) * w, plane + h * w);
  }
}

/**
 * Writes a resized RGB image into `out` as one NCHW float32 item (`v / 255`, exactly as float32
 * division rounds), the letterbox border filled with 114/255, in one pass over the pixels.
 */
export function fillLetterboxTensor(rgb: Uint8Array, plan: LetterboxPlan, out: Float32Array, options: FillOptions = {}): void {
  const offset = options.offset ?? 0;
  if (options.padding !== false) fillBorder(plan, out, offset);
  const { inputWidth: w, inputHeight: h, resizedWidth: rw, resizedHeight: rh, padX, padY } = plan;
  const unit = 1 / 255; // v × (1/255) rounds to the same float32 as v / 255 for every byte value
  const g = w * h;
  const b = 2 * g;
  let s = 0;
  for (let y = 0; y < rh; y++) {
    const left = offset + (padY + y) * w + padX;
    for (let x = left, end = left + rw; x < end; x++, s += 3) {
      out[x] = rgb[s]! * unit;
      out[g + x] = rgb[s + 1]! * unit;
      out[b + x] = rgb[s + 2]! * unit;
    }
  }
}

/**
 * Letterboxes an image into `out` (one NCHW item at `offset`): decode with EXIF orientation, resize
 * like Ultralytics, pad 114, RGB 0–1. Returns the plan, whose transform maps boxes back.
 * @example
 * const plan = await letterboxImage(jpegBytes, { width: 640, height: 640 }, { out: tensor });
 */
export async function letterboxImage(
  image: ImageInput,
  target: { width: number; height: number },
  options: OpenImageOptions & LetterboxOptions & { out: Float32Array; offset?: number },
): Promise<LetterboxPlan> {
  const opened = await openImage(image, options);
  const plan = letterbox(opened.width, opened.height, target, options);
  fillLetterboxTensor(await opened.resize(plan), plan, options.out, { offset: options.offset ?? 0 });
  return plan;
}
