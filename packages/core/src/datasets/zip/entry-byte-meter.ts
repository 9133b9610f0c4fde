import { Transform, type TransformCallback } from 'node:stream';
import { crc32 } from 'node:zlib';
import { type CoreError, TooLargeError, ValidationError } from '../../errors.js';
import { entryLabel } from './zip-errors.js';
import { RATIO_EXEMPT_BYTES, type ZipLimits } from './zip-limits.js';

/** What the meter knows about the entry it watches. */
export interface EntryByteMeterOptions {
  name: string;
  declaredBytes: number;
  compressedBytes: number;
  /** CRC-32 from the central directory; checked at the end of the stream. */
  crc32: number;
  limits: Pick<ZipLimits, 'maxEntryBytes' | 'maxRatio' | 'maxTotalBytes'>;
  /** Inflated bytes of the whole archive so far, shared by every entry stream of one archive. */
  total: { bytes: number };
}

/** The limit `bytes` inflated bytes of this entry break, if any (call after adding them to `total`). */
export function overrun(o: EntryByteMeterOptions, bytes: number): CoreError | undefined {
  const label = entryLabel(o.name);
  const details = { entry: o.name, bytes };
  if (bytes > o.declaredBytes) {
    return new ValidationError(`${label} inflates to more than its declared ${o.declaredBytes} bytes`, { reason: 'size_mismatch', details });
  }
  if (bytes > o.limits.maxEntryBytes) {
    return new TooLargeError(`${label} expands past the ${o.limits.maxEntryBytes}-byte limit per entry`, { reason: 'expanded_size_limit', details });
  }
  if (bytes > RATIO_EXEMPT_BYTES && bytes > o.compressedBytes * o.limits.maxRatio) {
    return new ValidationError(`${label} expands more than ${o.limits.maxRatio} times: a ZIP bomb`, { reason: 'zip_bomb', details });
  }
  if (o.total.bytes > o.limits.maxTotalBytes) {
    return new TooLargeError(`${label} takes the archive past its ${o.limits.maxTotalBytes}-byte expanded limit`, { reason: 'expanded_size_limit', details });
  }
  return undefined;
}

/** The error for an entry that ended at `bytes` with checksum `crc`, if its size or CRC-32 is wrong. */
export function checkEntryEnd(options: EntryByteMeterOptions, bytes: number, crc: number): CoreError | undefined {
  const label = entryLabel(options.name);
  if (bytes < options.declaredBytes) {
    const message = `${label} ends after ${bytes} of its declared ${options.declaredBytes} bytes`;
    return new ValidationError(message, { reason: 'size_mismatch', details: { entry: options.name, bytes } });
  }
  if (crc !== options.crc32 >>> 0) {
    return new ValidationError(`${label} is corrupt (CRC-32 mismatch)`, { reason: 'crc_mismatch', details: { entry: options.name } });
  }
  return undefined;
}

/**
 * Pass-through that counts an entry's inflated bytes and fails, naming the entry, as soon as they exceed the
 * declared size, the per-entry cap, the ratio cap or the archive total; at the end it checks size and CRC-32.
 */
export function createEntryByteMeter(options: EntryByteMeterOptions): Transform {
  let bytes = 0;
  let crc = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      bytes += chunk.length;
      options.total.bytes += chunk.length;
      const error = overrun(options, bytes);
      if (error) return callback(error);
      crc = crc32(chunk, crc);
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      callback(checkEntryEnd(options, bytes, crc));
    },
  });
}
