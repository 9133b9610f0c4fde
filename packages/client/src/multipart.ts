import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable } from 'node:stream';

/** A file to upload: a path on disk, bytes, or a stream (give `size` to send Content-Length). */
export type UploadSource =
  | string
  | { path: string; filename?: string }
  | { data: Uint8Array; filename: string }
  | { stream: Readable | AsyncIterable<Uint8Array>; filename: string; size?: number };

export interface UploadProgress {
  sentBytes: number;
  /** Known when the source has a size. */
  totalBytes?: number;
}

interface ResolvedSource {
  filename: string;
  size?: number;
  open(): AsyncIterable<Uint8Array>;
}

async function resolveSource(source: UploadSource): Promise<ResolvedSource> {
  if (typeof source === 'string' || 'path' in source) {
    const file = typeof source === 'string' ? source : source.path;
    const { size } = await stat(file);
    const filename = (typeof source === 'string' ? undefined : source.filename) ?? basename(file);
    return { filename, size, open: () => createReadStream(file) };
  }
  if ('data' in source) return { filename: source.filename, size: source.data.byteLength, open: () => Readable.from([source.data]) };
  return { filename: source.filename, size: source.size, open: () => source.stream };
}

const quote = (s: string) => s.replace(/["\\\r\n]/g, '_');

/** One file part of a multipart body. */
export interface FilePart {
  field: string;
  source: UploadSource;
}

/**
 * Encodes string fields (first) and files as a streaming multipart/form-data body, reporting progress
 * as file bytes leave; `contentLength` is set when every file's size is known.
 */
export async function multipartParts(files: readonly FilePart[], fields: Record<string, string> = {}, onProgress?: (progress: UploadProgress) => void) {
  const resolved = await Promise.all(files.map(async (f) => ({ field: f.field, file: await resolveSource(f.source) })));
  const boundary = `----yoloops${randomBytes(12).toString('hex')}`;
  let head = '';
  for (const [name, value] of Object.entries(fields)) {
    head += `--${boundary}\r\nContent-Disposition: form-data; name="${quote(name)}"\r\n\r\n${value}\r\n`;
  }
  const headers = resolved.map(({ field, file }, i) =>
    Buffer.from(`${i === 0 ? head : '\r\n'}--${boundary}\r\nContent-Disposition: form-data; name="${quote(field)}"; filename="${quote(file.filename)}"\r\nContent-Type: application/octet-stream\r\n\r\n`));
  const suffix = Buffer.from(resolved.length === 0 ? `${head}--${boundary}--\r\n` : `\r\n--${boundary}--\r\n`);
  const sizes = resolved.map((r) => r.file.size);
  const totalBytes = sizes.every((n) => n !== undefined) ? sizes.reduce<number>((a, b) => a + (b ?? 0), 0) : undefined;
  async function* generate() {
    let sentBytes = 0;
    for (const [i, { file }] of resolved.entries()) {
      yield headers[i]!;
      for await (const chunk of file.open()) {
        sentBytes += chunk.byteLength;
        yield chunk;
        onProgress?.({ sentBytes, totalBytes });
      }
    }
    yield suffix;
  }
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    contentLength: totalBytes === undefined ? undefined : headers.reduce((n, h) => n + h.length, 0) + totalBytes + suffix.length,
    body: Readable.from(generate()),
  };
}

/** One file (+ string fields) as a streaming multipart/form-data body. */
export function multipartBody(field: string, source: UploadSource, fields: Record<string, string> = {}, onProgress?: (progress: UploadProgress) => void) {
  return multipartParts([{ field, source }], fields, onProgress);
}
