import { isCoreError } from '@yoloops/core';
import busboy from 'busboy';
import type { Request } from 'express';
import type { Readable } from 'node:stream';
import { HttpError } from './errors.js';
import type { UploadedFile } from './multipart.js';

export interface FormFileOptions {
  /** Name of the file field. */
  field: string;
  /** Largest non-file field, bytes (default 64 KiB). */
  maxFieldBytes?: number;
}

export interface ReceivedForm<T> {
  /** Every text field of the whole body; a repeated name keeps its first value (Werkzeug's `request.form.get`). */
  fields: Record<string, string>;
  /** The first file of `field` with what `consume` made of it; absent when the body had none. */
  file?: { filename: string; result: T };
}

/**
 * Reads a whole multipart form with one file: the first file of `field` is streamed to `consume`
 * (never buffered), which also gets the text fields sent before it; other files are drained. Resolves
 * only once the body has been read to its end, so fields sent after the file are there too — the
 * caller can validate the whole form, then keep or undo what `consume` did. 400 on malformed or
 * aborted bodies; the stream being consumed is destroyed when the client goes away.
 * @example
 * const { fields, file } = await receiveFormFile(req, { field: 'file' }, (file, before) => stage(file.stream));
 */
export function receiveFormFile<T>(req: Request, options: FormFileOptions, consume: (file: UploadedFile, fieldsBefore: Readonly<Record<string, string>>) => Promise<T>): Promise<ReceivedForm<T>> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, defParamCharset: 'utf8', limits: { files: 20, fields: 20, parts: 60, fieldSize: options.maxFieldBytes ?? 65_536, headerPairs: 100 } });
    } catch (error) {
      reject(new HttpError(400, `expected a multipart/form-data body with a "${options.field}" file: ${(error as Error).message}`, 'bad_multipart'));
      return;
    }
    const fields: Record<string, string> = Object.create(null) as Record<string, string>;
    let work: Promise<{ filename: string; result: T }> | undefined;
    let current: Readable | undefined;
    let failed = false;
    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      current?.destroy(error instanceof Error ? error : undefined);
      req.unpipe(bb);
      req.resume();
      reject(error);
    };
    bb.on('field', (name, value) => {
      if (!Object.hasOwn(fields, name)) fields[name] = value;
    });
    bb.on('file', (name, stream, info) => {
      stream.on('error', () => {}); // a truncated body fails the stream; what it means is reported once, below
      if (name !== options.field || work !== undefined || failed) return void stream.resume();
      current = stream;
      let broken: Error | undefined;
      stream.on('error', (error: Error) => (broken ??= error));
      const filename = info.filename ?? '';
      work = consume({ filename, mimeType: info.mimeType, stream }, { ...fields }).then(
        (result) => ({ filename, result }),
        (error: unknown) => {
          const ours = error instanceof HttpError || isCoreError(error);
          throw broken && !ours ? new HttpError(400, `malformed multipart body: ${broken.message}`, 'bad_multipart') : error;
        },
      );
      work.catch(fail);
    });
    bb.on('error', (error: Error) => fail(new HttpError(400, `malformed multipart body: ${error.message}`, 'bad_multipart')));
    bb.on('close', () => {
      if (failed) return;
      if (work === undefined) return resolve({ fields });
      work.then((file) => (failed ? undefined : resolve({ fields, file })), fail);
    });
    req.on('close', () => {
      if (!req.complete) fail(new HttpError(400, 'the client closed the connection during the upload', 'upload_aborted'));
    });
    req.pipe(bb);
  });
}
