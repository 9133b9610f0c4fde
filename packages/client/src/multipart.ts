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

/**
 * Encodes one file (+ string fields) as a streaming multipart/form-data body, reporting progress as
 * file bytes leave; `contentLength` is set when the file size is known.
 */
export async function multipartBody(
  field: string,
  source: UploadSource,
  fields: Record<string, string> = {},
  onProgress?: (progress: UploadProgress) => void,
) {
  const file = await resolveSource(source);
  const boundary = `----yoloops${randomBytes(12).toString('hex')}`;
  let head = '';
  for (const [name, value] of Object.entries(fields)) {
    head += `--${boundary}\r\nContent-Disposition: form-data; name="${quote(name)}"\r\n\r\n${value}\r\n`;
  }
  head += `--${boundary}\r\nContent-Disposition: form-data; name="${quote(field)}"; filename="${quote(file.filename)}"\r\nContent-Type: application/octet-stream\r\n\r\n`;
  const tail = `\r\n--${boundary}--\r\n`;
  const prefix = Buffer.from(head);
  const suffix = Buffer.from(tail);
  async function* generate() {
    yield prefix;
    let sentBytes = 0;
    for await (const chunk of file.open()) {
      sentBytes += chunk.byteLength;
      yield chunk;
      onProgress?.({ sentBytes, totalBytes: file.size });
    }
    yield suffix;
  }
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    contentLength: file.size === undefined ? undefined : prefix.length + file.size + suffix.length,
    body: Readable.from(generate()),
  };
}
