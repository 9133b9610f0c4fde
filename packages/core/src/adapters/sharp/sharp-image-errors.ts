import { ValidationError } from '../../errors.js';

/** What is wrong with an image a user sent, as `details.problem` of a `ValidationError` (reason `invalid_image`). */
export type ImageProblem = 'empty' | 'svg_refused' | 'not_an_image' | 'unsupported_format' | 'too_many_pixels' | 'truncated' | 'corrupt';

/** Formats the pipeline decodes (the first frame of a GIF); SVG, PDF, HEIF and ImageMagick loaders stay blocked. */
export const DETECT_IMAGE_FORMATS: ReadonlySet<string> = new Set(['jpeg', 'png', 'webp', 'tiff', 'gif']);

export function imageProblem(problem: ImageProblem, message: string, cause?: unknown): ValidationError {
  return new ValidationError(message, { reason: 'invalid_image', details: { problem }, cause });
}

/** Whether the bytes look like SVG/XML text (checked first, so the refusal names SVG instead of "unknown format"). */
export function looksLikeSvg(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 1024)).toString('latin1').trimStart().toLowerCase();
  return head.startsWith('<') && (head.includes('<svg') || head.startsWith('<?xml'));
}

/** Refuses, before any decoder sees them, bytes that are empty or SVG. */
export function refuseUnsafeBytes(bytes: Uint8Array): void {
  if (bytes.byteLength === 0) throw imageProblem('empty', 'image is empty (0 bytes)');
  if (looksLikeSvg(bytes)) throw imageProblem('svg_refused', 'SVG images are not accepted (send JPEG, PNG, WebP, TIFF or GIF)');
}

/** Turns a sharp/libvips failure into a `ValidationError` naming the problem. */
export function imageDecodeError(error: unknown, maxPixels: number): ValidationError {
  const message = (error instanceof Error ? error.message : String(error)).trim().replace(/\s*\n\s*/g, '; ');
  if (/pixel limit/i.test(message)) return imageProblem('too_many_pixels', `image has more than the ${maxPixels}-pixel limit (width × height)`, error);
  if (/unsupported image format|is blocked|not permitted/i.test(message)) {
    return imageProblem('not_an_image', `not an image: the bytes are no JPEG, PNG, WebP, TIFF or GIF (${message})`, error);
  }
  if (/premature end|truncated|unexpected end|end of (file|stream|input)|read error|not enough data/i.test(message)) {
    return imageProblem('truncated', `image is truncated (the file ends before its pixel data does): ${message}`, error);
  }
  if (/empty/i.test(message)) return imageProblem('empty', 'image is empty (0 bytes)', error);
  return imageProblem('corrupt', `image cannot be decoded: ${message}`, error);
}
