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

export interface EachFileOptions {
  /** Name of the (repeatable) file field. */
  field: string;
  /** Most files accepted (default 4); more → 413. */
  maxFiles?: number;
  /** Whether no file at all is a 422 (default true). */
  required?: boolean;
}

/**
 * Streams every file of `field` to `consume`, one after the other in body order (never buffered: the
 * next file waits, paused, until the previous one is consumed); other file fields are drained. Rejects
 * with 422 when there is no such file, 413 over `maxFiles`, 400 on malformed or aborted bodies; the
 * stream being consumed is destroyed when the client goes away.
 */
export function receiveEachFile(req: Request, options: EachFileOptions, consume: (file: UploadedFile) => Promise<void>): Promise<Record<string, string>> {
  const maxFiles = options.maxFiles ?? 4;
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, defParamCharset: 'utf8', limits: { files: maxFiles + 20, fields: 20, parts: maxFiles + 60, fieldSize: 65_536, headerPairs: 100 } });
    } catch (error) {
      reject(new HttpError(400, `expected a multipart/form-data body with "${options.field}" files: ${(error as Error).message}`, 'bad_multipart'));
      return;
    }
    const fields: Record<string, string> = Object.create(null) as Record<string, string>;
    let chain: Promise<void> = Promise.resolve();
    let count = 0;
    let failed: unknown;
    let current: Readable | undefined;
    const fail = (error: unknown) => {
      if (failed !== undefined) return;
      failed = error;
      current?.destroy(error instanceof Error ? error : undefined);
      req.unpipe(bb);
      req.resume();
      reject(error);
    };
    bb.on('field', (name, value) => {
      fields[name] = value;
    });
    bb.on('file', (name, stream, info) => {
      stream.on('error', () => {}); // a truncated body fails the stream; what it means is reported once, below
      if (name !== options.field || failed !== undefined) return void stream.resume();
      if (++count > maxFiles) {
        stream.resume();
        return fail(new HttpError(413, `too many files in "${options.field}": at most ${maxFiles} per request`, 'too_many_files'));
      }
      chain = chain.then(async () => {
        if (failed !== undefined) return void stream.resume();
        current = stream;
        let broken: Error | undefined;
        stream.on('error', (error: Error) => (broken ??= error));
        await consume({ filename: info.filename ?? '', mimeType: info.mimeType, stream }).catch((error: unknown) => {
          const ours = error instanceof HttpError || isCoreError(error);
          throw broken && !ours ? new HttpError(400, `malformed multipart body: ${broken.message}`, 'bad_multipart') : error;
        });
      });
      chain.catch(fail);
    });
    bb.on('error', (error: Error) => fail(new HttpError(400, `malformed multipart body: ${error.message}`, 'bad_multipart')));
    bb.on('close', () => {
      if (failed !== undefined) return;
      if (count === 0 && options.required !== false) {
        return fail(new HttpError(422, `missing file field "${options.field}"`, 'missing_file', [{ loc: ['body', options.field], msg: 'Field required', type: 'missing' }]));
      }
      chain.then(() => (failed === undefined ? resolve(fields) : undefined), fail);
    });
    req.on('close', () => {
      if (!req.complete) fail(new HttpError(400, 'the client closed the connection during the upload', 'upload_aborted'));
    });
    req.pipe(bb);
  });
}

export interface BufferedFile {
  filename: string;
  mimeType: string;
  data: Buffer;
}

export interface FilesOptions {
  /** Name of the (repeatable) file field. */
  field: string;
  /** Most files accepted (default 1). */
  maxFiles?: number;
  /** Largest single file, bytes. */
  maxFileBytes: number;
  /** Largest sum of all files, bytes (default maxFileBytes × maxFiles). */
  maxTotalBytes?: number;
  /** Whether no file at all is a 422 (default true). */
  required?: boolean;
}

/**
 * Reads a multipart body whose files are small enough to hold (images for inference): every file of
 * `field` in order, plus all text fields (also those sent after the files). Over a limit → 413 naming
 * the file; other file fields are drained; missing files → 422 like the origin's FastAPI.
 */
export async function receiveFiles(req: Request, options: FilesOptions): Promise<{ files: BufferedFile[]; fields: Record<string, string> }> {
  const maxFiles = options.maxFiles ?? 1;
  const maxTotal = options.maxTotalBytes ?? options.maxFileBytes * maxFiles;
  const files: BufferedFile[] = [];
  let total = 0;
  const fields = await receiveEachFile(req, { field: options.field, maxFiles, required: options.required ?? true }, async (file) => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of file.stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      total += chunk.length;
      if (size > options.maxFileBytes) throw new HttpError(413, `file "${file.filename}" is larger than the ${options.maxFileBytes}-byte limit`, 'file_too_large');
      if (total > maxTotal) throw new HttpError(413, `the files together are larger than the ${maxTotal}-byte limit`, 'upload_too_large');
      chunks.push(chunk);
    }
    files.push({ filename: file.filename, mimeType: file.mimeType, data: Buffer.concat(chunks, size) });
  });
  return { files, fields };
}
