import { isCoreError } from '@yoloops/core';
import busboy from 'busboy';
import type { Request } from 'express';
import type { Readable } from 'node:stream';
import { HttpError } from './errors.js';

export interface UploadedFile {
  filename: string;
  mimeType: string;
  stream: Readable;
}

export interface SingleFileOptions {
  field: string;
  /** Largest non-file field, bytes (default 64 KiB). */
  maxFieldBytes?: number;
}

/**
 * Streams the one file of a multipart request to `consume` (never buffered); other files are drained.
 * Rejects with 422 when the field is missing, 400 on malformed bodies, and aborts `consume`'s stream
 * when the client goes away mid-upload.
 */
export function receiveSingleFile<T>(req: Request, options: SingleFileOptions, consume: (file: UploadedFile, fields: Record<string, string>) => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, defParamCharset: 'utf8', limits: { files: 1, fields: 20, parts: 40, fieldSize: options.maxFieldBytes ?? 65_536, headerPairs: 100 } });
    } catch (error) {
      reject(new HttpError(400, `expected a multipart/form-data body with a "${options.field}" file: ${(error as Error).message}`, 'bad_multipart'));
      return;
    }
    const fields: Record<string, string> = Object.create(null) as Record<string, string>;
    let work: Promise<T> | undefined;
    let current: Readable | undefined;
    bb.on('field', (name, value) => {
      fields[name] = value;
    });
    bb.on('file', (name, stream, info) => {
      if (name !== options.field || work) {
        stream.on('error', () => {}); // drained; busboy destroying it on a truncated body must not go uncaught
        stream.resume();
        return;
      }
      current = stream;
      // busboy fails the file stream with a plain Error when the body ends early ("Unexpected end of
      // form"): the client's fault (400), not ours (500). The listener also matters when `consume` has
      // already given up on the stream (a refused non-.zip name): without it that error goes uncaught
      // and kills the process.
      let broken: Error | undefined;
      stream.on('error', (error: Error) => {
        broken ??= error;
      });
      work = consume({ filename: info.filename ?? '', mimeType: info.mimeType, stream }, fields);
      work.then(resolve, (error: unknown) => {
        const ours = error instanceof HttpError || isCoreError(error);
        reject(broken && !ours ? new HttpError(400, `malformed multipart body: ${broken.message}`, 'bad_multipart') : error);
      });
    });
    bb.on('error', (error: Error) => {
      const failure = new HttpError(400, `malformed multipart body: ${error.message}`, 'bad_multipart');
      current?.destroy(failure);
      if (!work) reject(failure);
    });
    bb.on('close', () => {
      if (!work) reject(new HttpError(422, `missing file field "${options.field}"`, 'missing_file', [{ loc: ['body', options.field], msg: 'Field required', type: 'missing' }]));
    });
    req.on('close', () => {
      if (!req.complete) current?.destroy(new HttpError(400, 'the client closed the connection during the upload', 'upload_aborted'));
    });
    req.pipe(bb);
  });
}
