/** What decoding an image told us; sizes are after EXIF orientation. */
export interface ImageInfo {
  width: number;
  height: number;
  format: string;
}

/**
 * Decodes an untrusted image fully (not only its header) and returns its size; throws
 * `ValidationError` (reason `image_decode_failed`, `pixel_limit`, `unsupported_image`) otherwise.
 */
export interface ImageProbe {
  probe(input: { path: string } | { bytes: Uint8Array }): Promise<ImageInfo>;
}
