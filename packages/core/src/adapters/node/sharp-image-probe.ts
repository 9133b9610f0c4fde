import sharp, { type Metadata } from 'sharp';
import { ValidationError } from '../../errors.js';
import type { ImageInfo, ImageProbe } from '../../datasets/image-probe.port.js';

export interface SharpImageProbeOptions {
  /** Largest accepted image in pixels (default 40 MP; sharp's own default, 268 MP, is too generous). */
  maxPixels?: number;
}

const ALLOWED_FORMATS = new Set(['jpeg', 'png', 'webp', 'tiff']);
let hardened = false;

/** Blocks libvips loaders we never accept from users (SVG, PDF, ImageMagick, …) and keeps memory flat. */
export function hardenSharp(): void {
  if (hardened) return;
  sharp.block({ operation: ['VipsForeignLoadSvg', 'VipsForeignLoadPdf', 'VipsForeignLoadMagick', 'VipsForeignLoadOpenslide', 'VipsForeignLoadFits', 'VipsForeignLoadMatrix', 'VipsForeignLoadCsv', 'VipsForeignLoadVips', 'VipsForeignLoadJxl', 'VipsForeignLoadHeif', 'VipsForeignLoadRad', 'VipsForeignLoadPpm', 'VipsForeignLoadAnalyze', 'VipsForeignLoadNifti'] });
  sharp.cache(false);
  hardened = true;
}

function decodeError(error: unknown, maxPixels: number): ValidationError {
  const message = (error instanceof Error ? error.message : String(error)).trim().replace(/\s*\n\s*/g, '; ');
  if (/pixel limit/i.test(message)) {
    return new ValidationError(`image is larger than the ${maxPixels}-pixel limit (width × height): ${message}`, { reason: 'pixel_limit', cause: error });
  }
  if (/unsupported image format|is blocked|not permitted/i.test(message)) {
    return new ValidationError(`unsupported image format: ${message}`, { reason: 'unsupported_image', cause: error });
  }
  return new ValidationError(`image cannot be decoded: ${message}`, { reason: 'image_decode_failed', cause: error });
}

/**
 * Image probe on sharp/libvips: checks the format against an allowlist (JPEG, PNG, WebP, TIFF), the pixel
 * count against a cap, then decodes the whole image (at reduced scale for speed) so truncated files fail.
 */
export function createSharpImageProbe(options: SharpImageProbeOptions = {}): ImageProbe {
  hardenSharp();
  const limitInputPixels = options.maxPixels ?? 40_000_000;
  return {
    async probe(input): Promise<ImageInfo> {
      const source = 'path' in input ? input.path : input.bytes;
      const open = () => sharp(source, { limitInputPixels, failOn: 'warning', sequentialRead: true });
      let meta: Metadata;
      try {
        meta = await open().metadata();
      } catch (error) {
        throw decodeError(error, limitInputPixels);
      }
      if (!meta.format || !ALLOWED_FORMATS.has(meta.format)) {
        throw new ValidationError(`unsupported image format "${meta.format ?? 'unknown'}" (accepted: ${[...ALLOWED_FORMATS].join(', ')})`, { reason: 'unsupported_image' });
      }
      const width = meta.width ?? 0;
      const height = meta.height ?? 0;
      if (width * height > limitInputPixels) {
        throw new ValidationError(`image is ${width}×${height} pixels, over the ${limitInputPixels} pixel limit`, { reason: 'pixel_limit' });
      }
      try {
        await open().resize(32, 32, { fit: 'inside' }).raw().toBuffer();
      } catch (error) {
        throw decodeError(error, limitInputPixels);
      }
      const rotated = (meta.orientation ?? 1) >= 5;
      return { width: rotated ? height : width, height: rotated ? width : height, format: meta.format };
    },
  };
}

