import type { LetterboxTransform } from './inference.types.js';

/** Where an image goes inside the model input: the transform plus the sizes and the four paddings. */
export interface LetterboxPlan extends LetterboxTransform {
  /** Size the image is resized to before padding. */
  resizedWidth: number;
  resizedHeight: number;
  /** Padded size (the model input, or the stride-rounded rectangle with `auto`). */
  inputWidth: number;
  inputHeight: number;
  padRight: number;
  padBottom: number;
}

export interface LetterboxOptions {
  /** Pad only to a multiple of `stride` (Ultralytics `auto`, for models with a dynamic input size). */
  auto?: boolean;
  stride?: number;
  /** Allow enlarging small images (default true, as Ultralytics predicts). */
  scaleUp?: boolean;
}

/** Python's `round`: halves go to the even neighbour. */
export function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * Plans an Ultralytics letterbox of a `width × height` image into `target`: one scale for both axes,
 * the new size rounded as Python rounds, the padding split evenly (`round(d/2 ∓ 0.1)`).
 * @example
 * letterbox(810, 1080, { width: 640, height: 640 }); // scale 0.5926, 480×640, padX 80, padY 0
 * @see https://github.com/ultralytics/ultralytics/blob/main/ultralytics/data/augment.py (LetterBox)
 */
export function letterbox(width: number, height: number, target: { width: number; height: number }, options: LetterboxOptions = {}): LetterboxPlan {
  if (!(width > 0 && height > 0)) throw new RangeError(`letterbox: image size must be positive, got ${width}×${height}`);
  let scale = Math.min(target.width / width, target.height / height);
  if (options.scaleUp === false) scale = Math.min(scale, 1);
  const resizedWidth = Math.max(1, roundHalfEven(width * scale));
  const resizedHeight = Math.max(1, roundHalfEven(height * scale));
  let dw = target.width - resizedWidth;
  let dh = target.height - resizedHeight;
  if (options.auto) {
    const stride = options.stride ?? 32;
    dw %= stride;
    dh %= stride;
  }
  const padX = roundHalfEven(dw / 2 - 0.1);
  const padY = roundHalfEven(dh / 2 - 0.1);
  const padRight = roundHalfEven(dw / 2 + 0.1);
  const padBottom = roundHalfEven(dh / 2 + 0.1);
  return {
    scale, padX, padY, width, height, resizedWidth, resizedHeight, padRight, padBottom,
    inputWidth: resizedWidth + padX + padRight,
    inputHeight: resizedHeight + padY + padBottom,
  };
}

/**
 * Maps an `x1, y1, x2, y2` box from model-input pixels back to the original image, clipped to it
 * (Ultralytics `scale_boxes` + `clip_boxes`); writes into `out` at `offset`.
 */
export function unletterboxBox(box: ArrayLike<number>, t: LetterboxTransform, out: Float64Array | number[], offset = 0): void {
  const { scale, padX, padY, width, height } = t;
  out[offset] = clip((box[0]! - padX) / scale, width);
  out[offset + 1] = clip((box[1]! - padY) / scale, height);
  out[offset + 2] = clip((box[2]! - padX) / scale, width);
  out[offset + 3] = clip((box[3]! - padY) / scale, height);
}

function clip(value: number, max: number): number {
  return value < 0 ? 0 : value > max ? max : value;
}
