import sharp from 'sharp';
import { drawDetectionsRaw, type DrawOptions } from '../../inference/draw/draw-detections-raw.js';
import type { DetectionResult, RawImage } from '../../inference/inference.types.js';
import { hardenSharp } from './sharp-image-probe.js';
import { imageDecodeError, refuseUnsafeBytes } from './sharp-image-errors.js';
import type { ImageInput } from './sharp-letterbox.js';

export interface DrawDetectionsOptions extends DrawOptions {
  /** JPEG quality of the annotated image (default 95, as the origin's `cv2.imwrite`). */
  quality?: number;
  /** Largest accepted image, width × height (default 40 MP). */
  maxPixels?: number;
}

async function decodeRgb(image: ImageInput, maxPixels: number): Promise<RawImage> {
  if (!(image instanceof Uint8Array)) {
    return { data: Uint8Array.from(image.data.subarray(0, image.width * image.height * image.channels)), width: image.width, height: image.height, channels: image.channels };
  }
  refuseUnsafeBytes(image);
  const { data, info } = await sharp(image, { limitInputPixels: maxPixels, failOn: 'truncated' })
    .rotate().removeAlpha().toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true })
    .catch((error: unknown) => {
      throw imageDecodeError(error, maxPixels);
    });
  return { data, width: info.width, height: info.height, channels: 3 };
}

/**
 * Draws a detection result onto an image (EXIF orientation applied, like the detection itself) and
 * encodes it as JPEG: boxes and `name: conf` labels in the class colour, as the origin saved them.
 * A raw frame is copied, not changed (use `drawDetectionsRaw` to draw in place).
 * @example
 * const jpeg = await drawDetections(await readFile('bus.jpg'), await detector.detect(bytes));
 */
export async function drawDetections(image: ImageInput, result: Pick<DetectionResult, 'detections'>, options: DrawDetectionsOptions = {}): Promise<Buffer> {
  hardenSharp();
  const rgb = drawDetectionsRaw(await decodeRgb(image, options.maxPixels ?? 40_000_000), result.detections, options);
  const raw = { width: rgb.width, height: rgb.height, channels: rgb.channels };
  return sharp(rgb.data, { raw }).removeAlpha().jpeg({ quality: options.quality ?? 95 }).toBuffer();
}
