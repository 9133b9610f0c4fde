import { isCoreError, TooLargeError, type InstructionDataset } from '@yoloops/core';
import type { Request } from 'express';
import { randomUUID } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { receiveFormFile } from '../http/multipart-form.js';
import type { UploadedFile } from '../http/multipart.js';
import { datasetUploadErrors, validateDatasetUpload, type DatasetUploadRequest } from '../seed003/validation.js';
import type { AppServices } from '../services.js';

type Services = Pick<AppServices, 'instructions' | 'blobs' | 'system'>;

/** What one upload request has made so far, so a failure can undo all of it. */
interface UploadState {
  pending?: Promise<void>;
  created?: InstructionDataset;
  /** The form fields the dataset was made with (the fields sent before the file). */
  used?: DatasetUploadRequest;
  /** Scratch copy of a file sent before its `name` field. */
  staged?: string;
  /** The service's refusal of the file, answered only if the whole form passes the origin's checks. */
  refused?: unknown;
}

/** Counts bytes through, failing with a 413 past `maxBytes`. */
function capped(maxBytes: number): Transform {
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      if (size > maxBytes) callback(new TooLargeError(`instruction dataset upload is larger than the ${maxBytes} byte limit`, { reason: 'upload_too_large', details: { maxBytes } }));
      else callback(null, chunk);
    },
  });
}

async function stage(services: Services, state: UploadState, stream: Readable): Promise<void> {
  state.staged = `tmp/instruction-uploads/${randomUUID()}`;
  const meter = capped(services.system.limits.maxDatasetUploadBytes);
  stream.on('error', (error) => meter.destroy(error));
  meter.on('error', () => stream.resume());
  await services.blobs.write(state.staged, stream.pipe(meter), { durable: false });
}

/** The file part: refused by name alone (drained), streamed into the service when `name` came first, else staged. */
async function take(services: Services, state: UploadState, file: UploadedFile, before: Readonly<Record<string, string>>, ownerId: number | null) {
  const partial = { file: { filename: file.filename }, fields: before };
  if (datasetUploadErrors({ ...partial, fields: { name: 'x' } }).length > 0) return void file.stream.resume();
  if (datasetUploadErrors(partial).length > 0) return stage(services, state, file.stream);
  state.used = validateDatasetUpload(partial);
  try {
    state.created = await services.instructions.upload({ body: file.stream, filename: file.filename, ...state.used, ownerId });
  } catch (error) {
    if (!isCoreError(error) || error.code !== 'INVALID_INPUT') throw error;
    state.refused = error;
  }
}

const sameRequest = (a: DatasetUploadRequest | undefined, b: DatasetUploadRequest) => a?.name === b.name && a.description === b.description && a.format === b.format;

async function undo(services: Services, state: UploadState): Promise<void> {
  await state.pending?.catch(() => undefined);
  if (state.created) await services.instructions.delete(state.created.id).catch(() => undefined);
  if (state.staged) await services.blobs.delete(state.staged);
}

/**
 * Seed 003's `POST /datasets/upload`: reads the whole form (a client may send `name` after the file),
 * checks it with the origin's validator, then keeps the dataset. A file sent after `name` streams
 * straight into the service; one sent before it is staged under `tmp/` and uploaded from there. A
 * field after the file that changes the request (a later `description` or `format`) re-reads the
 * stored file. Any failure removes everything the request stored.
 */
export async function receiveSeed003Upload(req: Request, services: Services, ownerId: number | null): Promise<InstructionDataset> {
  const state: UploadState = {};
  try {
    const form = await receiveFormFile(req, { field: 'file' }, (file, before) => (state.pending = take(services, state, file, before, ownerId)));
    const request = validateDatasetUpload({ file: form.file ? { filename: form.file.filename } : undefined, fields: form.fields });
    if (state.refused !== undefined) throw state.refused;
    const filename = form.file!.filename;
    if (state.created === undefined || !sameRequest(state.used, request)) {
      const previous = state.created;
      const source = state.staged ?? previous!.blob_key;
      state.created = await services.instructions.upload({ body: await services.blobs.read(source), filename, ...request, ownerId });
      if (previous) await services.instructions.delete(previous.id);
    }
    if (state.staged) await services.blobs.delete(state.staged);
    return state.created;
  } catch (error) {
    await undo(services, state);
    throw error;
  }
}
