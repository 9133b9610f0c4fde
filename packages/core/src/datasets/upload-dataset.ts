import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { TooLargeError, ValidationError } from '../errors.js';
import type { BlobStore } from '../storage/blob-store.port.js';
import { openSafeZip } from './zip/open-safe-zip.js';
import type { ZipLimits } from './zip/zip-limits.js';

export interface StoredUpload {
  size: number;
  sha256: string;
}

/** Metering pass-through: counts and hashes bytes, failing once the cap is passed. */
export function meter(maxBytes: number, label: string) {
  const hash = createHash('sha256');
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      if (size > maxBytes) {
        callback(new TooLargeError(`${label} is larger than the ${maxBytes} byte limit`, { reason: 'upload_too_large', details: { maxBytes } }));
        return;
      }
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  return { stream, result: (): StoredUpload => ({ size, sha256: hash.digest('hex') }) };
}

/** Makes a client filename safe to store and show: basename, no control characters, ≤ 255 chars. */
export function cleanFilename(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  return base.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 255) || 'upload.zip';
}

/**
 * Streams an upload to `key` (never whole in memory), enforcing the size cap and recording sha256,
 * then checks the ZIP's central directory; on any failure nothing is left behind.
 */
export async function storeZipUpload(
  blobs: BlobStore,
  key: string,
  body: Readable,
  limits: { maxBytes: number; zip: Partial<ZipLimits>; label: string },
): Promise<StoredUpload> {
  const m = meter(limits.maxBytes, limits.label);
  body.on('error', (error) => m.stream.destroy(error));
  // The meter may fail (over the cap, client gone) before `blobs.write` starts reading it; the error stays
  // on the stream for the write to throw, but an 'error' event nobody listens to would kill the process.
  m.stream.on('error', () => {});
  try {
    await blobs.write(key, body.pipe(m.stream));
    const stored = m.result();
    if (stored.size === 0) throw new ValidationError(`${limits.label} is empty (0 bytes)`, { reason: 'invalid_zip' });
    const reader = await blobs.open(key);
    try {
      const zip = await openSafeZip(reader, limits.zip);
      await zip.close();
    } finally {
      await reader.close();
    }
    return stored;
  } catch (error) {
    body.resume();
    await blobs.delete(key);
    throw error;
  }
}
