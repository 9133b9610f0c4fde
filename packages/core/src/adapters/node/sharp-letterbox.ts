import sharp from 'sharp';
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
}

/** 0–255 → 0–1 as float32, computed once. */
const UNIT = Float32Array.from({ length: 256 }, (_, v) => v / 255);

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
      const pipeline = load().rotate().removeAlpha().toColourspace('srgb');
      const resized = plan.resizedWidth === width && plan.resizedHeight === height ? pipeline
        : pipeline.resize(plan.resizedWidth, plan.resizedHeight, { fit: 'fill', kernel: 'linear' });
      const { data, info } = await resized.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true }).catch((error: unknown) => {
        throw imageDecodeError(error, maxPixels);
      });
      if (info.channels !== 3 || info.width !== plan.resizedWidth || info.height !== plan.resizedHeight) {
        throw imageProblem('corrupt', `image decoded to ${info.width}×${info.height}×${info.channels}, expected ${plan.resizedWidth}×${plan.resizedHeight}×3`);
      }
      return data;
    },
  };
}

/**
 * Writes a resized RGB image into `out` at `offset` as one NCHW float32 item (0–1), the letterbox
 * border filled with 114/255, in one pass over the rows.
 */
export function fillLetterboxTensor(rgb: Uint8Array, plan: LetterboxPlan, out: Float32Array, offset = 0): void {
  const { inputWidth: w, inputHeight: h, resizedWidth: rw, resizedHeight: rh, padX, padY } = plan;
  const plane = w * h;
  const pad = UNIT[114]!;
  const r = offset;
  const g = offset + plane;
  const b = offset + 2 * plane;
  out.fill(pad, r, r + padY * w);
  out.fill(pad, g, g + padY * w);
  out.fill(pad, b, b + padY * w);
  for (let y = 0; y < rh; y++) {
    const row = (padY + y) * w;
    const left = row + padX;
    out.fill(pad, r + row, r + left);
    out.fill(pad, g + row, g + left);
    out.fill(pad, b + row, b + left);
    let s = y * rw * 3;
    for (let x = left, end = left + rw; x < end; x++, s += 3) {
      out[r + x] = UNIT[rgb[s]!]!;
      out[g + x] = UNIT[rgb[s + 1]!]!;
      out[b + x] = UNIT[rgb[s + 2]!]!;
    }
    out.fill(pad, r + left + rw, r + row + w);
    out.fill(pad, g + left + rw, g + row + w);
    out.fill(pad, b + left + rw, b + row + w);
  }
  const tail = (padY + rh) * w;
  out.fill(pad, r + tail, r + plane);
  out.fill(pad, g + tail, g + plane);
  out.fill(pad, b + tail, b + plane);
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
  fillLetterboxTensor(await opened.resize(plan), plan, options.out, options.offset);
  return plan;
}
