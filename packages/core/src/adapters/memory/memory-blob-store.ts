import { Readable } from 'node:stream';
import { CoreError, NotFoundError, ValidationError } from '../../errors.js';
import { parseBlobKey } from '../../storage/blob-key.js';
import type { BlobReader, BlobStore } from '../../storage/blob-store.port.js';

interface Entry {
  data: Buffer;
  modifiedAt: Date;
}

const CHUNK = 64 * 1024;

function toReadable(data: Buffer): Readable {
  function* chunks() {
    for (let at = 0; at < data.length; at += CHUNK) yield data.subarray(at, at + CHUNK);
  }
  return Readable.from(chunks(), { objectMode: false });
}

async function collect(data: Readable | Uint8Array | string): Promise<Buffer> {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (data instanceof Uint8Array) return Buffer.from(data);
  const parts: Buffer[] = [];
  for await (const chunk of data) parts.push(Buffer.from(chunk as Uint8Array | string));
  return Buffer.concat(parts);
}

function checkRange(start: number, end: number, size: number): void {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || start > end || end > size) {
    throw new ValidationError(`invalid byte range [${start}, ${end}) of a ${size}-byte blob`, { reason: 'invalid_range' });
  }
}

const overlaps = (a: string, b: string) => a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);

/**
 * Blob store on a `Map` with the same key rules as the filesystem one: a key cannot be both a blob
 * and a folder of blobs. For tests and single-process demos.
 * @example const blobs = createMemoryBlobStore(); await blobs.write('a/b.txt', 'hi');
 */
export function createMemoryBlobStore(): BlobStore {
  const blobs = new Map<string, Entry>();
  const under = (prefix: string) => [...blobs.keys()].filter((k) => k === prefix || k.startsWith(`${prefix}/`));

  const entry = (key: string): Entry => {
    parseBlobKey(key);
    const found = blobs.get(key);
    if (found === undefined) throw new NotFoundError(`blob not found: ${key}`, { details: { key } });
    return found;
  };
  const hasBlobAncestor = (key: string) => {
    const segments = key.split('/');
    return segments.slice(0, -1).some((_, i) => blobs.has(segments.slice(0, i + 1).join('/')));
  };
  /** A blob may not sit where a folder is, nor inside another blob (as on a filesystem). */
  const assertPlaceable = (key: string) => {
    if (hasBlobAncestor(key) || under(key).some((k) => k !== key)) {
      throw new CoreError('CONFLICT', `storage key ${key} collides with an existing blob or folder`, { details: { key } });
    }
  };

  return {
    async write(key, data) {
      parseBlobKey(key);
      const buffer = await collect(data);
      assertPlaceable(key);
      blobs.set(key, { data: buffer, modifiedAt: new Date() });
      return { size: buffer.length };
    },
    async append(key, data) {
      parseBlobKey(key);
      const before = blobs.get(key)?.data ?? Buffer.alloc(0);
      if (!blobs.has(key)) assertPlaceable(key);
      const next = Buffer.concat([before, typeof data === 'string' ? Buffer.from(data, 'utf8') : data]);
      blobs.set(key, { data: next, modifiedAt: new Date() });
      return { size: next.length };
    },
    async read(key) {
      return toReadable(entry(key).data);
    },
    async readBytes(key) {
      return Buffer.from(entry(key).data);
    },
    async open(key): Promise<BlobReader> {
      const { data } = entry(key);
      return {
        size: data.length,
        createReadStream(start, end) {
          checkRange(start, end, data.length);
          return toReadable(data.subarray(start, end));
        },
        async close() {},
      };
    },
    async stat(key) {
      parseBlobKey(key);
      const found = blobs.get(key);
      return found === undefined ? undefined : { size: found.data.length, modifiedAt: new Date(found.modifiedAt) };
    },
    async list(prefix) {
      if (prefix !== '') parseBlobKey(prefix);
      return (prefix === '' ? [...blobs.keys()] : under(prefix)).sort();
    },
    async delete(keyOrPrefix) {
      parseBlobKey(keyOrPrefix);
      for (const key of under(keyOrPrefix)) blobs.delete(key);
    },
    async replacePrefix(from, to) {
      parseBlobKey(from);
      parseBlobKey(to);
      if (overlaps(from, to)) {
        throw new ValidationError(`cannot move ${from} to ${to}: one contains the other`, { reason: 'overlapping_keys' });
      }
      const moving = under(from);
      if (moving.length === 0) throw new NotFoundError(`nothing stored under ${from}`, { details: { key: from } });
      if (hasBlobAncestor(to)) {
        throw new CoreError('CONFLICT', `storage key ${to} lies inside an existing blob`, { details: { key: to } });
      }
      for (const key of under(to)) blobs.delete(key);
      for (const key of moving) {
        const moved = blobs.get(key) as Entry;
        blobs.delete(key);
        blobs.set(to + key.slice(from.length), moved);
      }
    },
  };
}
