import { RESOURCE_ID_PATTERN } from '@yoloops/core';
import type { BlobStore } from '@yoloops/core';
import type { Request, RequestHandler } from 'express';
import { pipeline } from 'node:stream/promises';
import { HttpError } from './errors.js';

const IMAGE_TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png', '.webp': 'image/webp',
  '.tif': 'image/tiff', '.tiff': 'image/tiff', '.bmp': 'image/bmp',
};
// eslint-disable-next-line no-control-regex
const BAD_SEGMENT = /^\.{1,2}$|^$|[\\/\u0000-\u001f]/;

function segmentsOf(req: Request): string[] {
  const raw = (req.originalUrl.split('?')[0] ?? '').replace(/^\/static\//, '');
  return raw.split('/').map((segment) => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      throw new HttpError(400, `malformed path segment "${segment}"`, 'unsafe_path');
    }
    if (BAD_SEGMENT.test(decoded)) throw new HttpError(400, `unsafe path segment "${segment}"`, 'unsafe_path');
    return decoded;
  });
}

/**
 * `/static/<path>`: serves dataset images (`datasets/<id>/<version>/images/…`, as the origin frontend
 * loads them) and annotated inference images (`inference_results/<session_id>/images/<uuid>.jpg`),
 * with a type from an allowlist and nosniff; everything else is 404.
 */
export function createStaticHandler(blobs: BlobStore): RequestHandler {
  return async (req, res) => {
    const segments = segmentsOf(req);
    const [area, id, version, images, ...rest] = segments;
    const ext = (segments.at(-1) ?? '').toLowerCase().match(/\.[a-z]+$/)?.[0] ?? '';
    const dataset = area === 'datasets' && RESOURCE_ID_PATTERN.test(id ?? '') && /^v\d{1,6}$/.test(version ?? '') && images === 'images' && rest.length > 0;
    const session = area === 'inference_results' && RESOURCE_ID_PATTERN.test(id ?? '') && version === 'images' && images !== undefined && rest.length === 0 && /^[0-9a-f-]{36}\.jpg$/.test(images);
    const allowed = (dataset || session) && IMAGE_TYPES[ext];
    const key = segments.join('/');
    const stat = allowed ? await blobs.stat(key) : undefined;
    if (!allowed || !stat) throw new HttpError(404, 'Not Found', 'not_found');
    res.setHeader('Content-Type', IMAGE_TYPES[ext] ?? 'application/octet-stream');
    res.setHeader('Content-Length', String(stat.size));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'private, max-age=60');
    // pipeline, not pipe: a client that goes away mid-download must close the file (pipe leaks the fd)
    await pipeline(await blobs.read(key), res);
  };
}
