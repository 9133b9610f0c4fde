import { constants, mkdirSync, realpathSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { finished, Readable } from 'node:stream';
import { CoreError, NotFoundError, ValidationError } from '../../errors.js';
import { parseBlobKey } from '../../storage/blob-key.js';
import type { BlobReader, BlobStore } from '../../storage/blob-store.port.js';
import { codeOf, isMissing, isReserved, sideName, TEMP, TRASH } from './fs-names.js';
import { fsyncPath, mkdirs, syncTree } from './fs-durable.js';

function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

const unsafe = (key: string) =>
  new ValidationError(`storage key escapes the store: ${JSON.stringify(key)}`, { reason: 'unsafe_path', details: { key } });
const notFound = (key: string) => new NotFoundError(`blob not found: ${key}`, { details: { key } });
const conflictOr = (error: unknown, key: string) =>
  ['ENOTDIR', 'EISDIR', 'ENOTEMPTY', 'EEXIST'].includes(codeOf(error) ?? '')
    ? new CoreError('CONFLICT', `storage key ${key} collides with an existing blob or folder`, { details: { key }, cause: error })
    : error;

function checkRange(start: number, end: number, size: number): void {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || start > end || end > size) {
    throw new ValidationError(`invalid byte range [${start}, ${end}) of a ${size}-byte blob`, { reason: 'invalid_range' });
  }
}

async function writeAll(handle: FileHandle, data: Readable | Uint8Array | string): Promise<number> {
  const chunks = typeof data === 'string' ? [Buffer.from(data, 'utf8')] : data instanceof Uint8Array ? [data] : data;
  let size = 0;
  for await (const raw of chunks) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : (raw as Uint8Array);
    for (let at = 0; at < chunk.length; ) at += (await handle.write(chunk, at, chunk.length - at)).bytesWritten;
    size += chunk.length;
  }
  return size;
}

/**
 * Bytes `[start, end)` by positional reads on a shared handle. Not `fs.createReadStream({ fd })`:
 * destroying that stream closes the fd even with `autoClose: false`, breaking the reader's other streams.
 */
function rangeStream(handle: FileHandle, start: number, end: number): Readable {
  let position = start;
  return new Readable({
    highWaterMark: 64 * 1024,
    read(size) {
      const length = Math.min(size, end - position);
      if (length <= 0) return void this.push(null);
      handle.read(Buffer.allocUnsafe(length), 0, length, position).then(({ bytesRead, buffer }) => {
        if (bytesRead === 0) return void this.destroy(new Error('blob ended early: it shrank while being read'));
        position += bytesRead;
        this.push(buffer.subarray(0, bytesRead));
      }, (error: unknown) => this.destroy(error as Error));
    },
  });
}

async function listFiles(abs: string, key: string, out: string[]): Promise<void> {
  let entries;
  try {
    entries = await fsp.readdir(abs, { withFileTypes: true });
  } catch (error) {
    if (codeOf(error) === 'ENOTDIR' && (await fsp.lstat(abs).catch(() => undefined))?.isFile()) out.push(key);
    else if (!isMissing(error)) throw error;
    return;
  }
  for (const entry of entries) {
    if (isReserved(entry.name)) continue;
    const child = key === '' ? entry.name : `${key}/${entry.name}`;
    if (entry.isDirectory()) await listFiles(path.join(abs, entry.name), child, out);
    else if (entry.isFile()) out.push(child);
  }
}

/**
 * Blob store on a local directory. Keys are checked with `parseBlobKey`, then the path must stay
 * inside the root both lexically and after resolving symlinks. Writes go to a temp file that is
 * fsynced and renamed over the target; temp (`.tmp-*`) and trash (`.trash-*`) entries are never listed.
 * @example const blobs = createFsBlobStore('/var/lib/yoloops/data'); await blobs.write('a/b.txt', 'hi');
 */
export function createFsBlobStore(rootDir: string): BlobStore & { localPath(key: string): string } {
  const root = path.resolve(rootDir);
  mkdirSync(root, { recursive: true });
  const realRoot = realpathSync.native(root);

  /** Folders whose real path was checked to be inside the root (cleared by delete and replacePrefix). */
  const checkedDirs = new Set<string>();

  /** Absolute path of a key; the deepest existing ancestor must resolve inside the root. */
  const resolveKey = (key: string): string => {
    const segments = parseBlobKey(key);
    if (segments.some(isReserved)) {
      throw new ValidationError(`storage key uses a reserved name: ${JSON.stringify(key)}`, { reason: 'unsafe_path' });
    }
    const full = path.join(root, ...segments);
    if (full === root || !isInside(root, full)) throw unsafe(key);
    // Files are opened with O_NOFOLLOW, so a checked parent folder is enough for them.
    if (checkedDirs.has(path.dirname(full))) return full;
    for (let probe = full; ; probe = path.dirname(probe)) {
      let real: string;
      try {
        real = realpathSync.native(probe);
      } catch (error) {
        if (codeOf(error) === 'ELOOP') throw unsafe(key);
        if (isMissing(error) && probe !== root) continue;
        throw error;
      }
      if (!isInside(realRoot, real)) throw unsafe(key);
      if (probe === path.dirname(full)) checkedDirs.add(probe);
      return full;
    }
  };

  const openFile = async (key: string): Promise<{ handle: FileHandle; size: number }> => {
    const file = resolveKey(key);
    // O_NOFOLLOW: a symlink planted in the data root is never followed, even to a file inside it.
    const handle = await fsp.open(file, constants.O_RDONLY | constants.O_NOFOLLOW).catch((error: unknown) => {
      if (codeOf(error) === 'ELOOP') throw unsafe(key);
      throw isMissing(error) || codeOf(error) === 'EISDIR' ? notFound(key) : error;
    });
    const stats = await handle.stat();
    if (stats.isFile()) return { handle, size: stats.size };
    await handle.close();
    throw notFound(key);
  };

  /** Folders known to exist (cleared by delete and replacePrefix), so a staging write costs no mkdir. */
  const madeDirs = new Set<string>();

  /** Staging write (`durable: false`): straight to the target, which nobody reads before it is published. */
  const writeDirect = async (key: string, target: string, data: Readable | Uint8Array | string) => {
    const handle = await fsp
      .open(target, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW)
      .catch((error: unknown) => Promise.reject(codeOf(error) === 'ELOOP' ? unsafe(key) : conflictOr(error, key)));
    try {
      const size = await writeAll(handle, data);
      await handle.close();
      return { size };
    } catch (error) {
      await handle.close().catch(() => undefined);
      await fsp.rm(target, { force: true }).catch(() => undefined);
      throw error;
    }
  };

  return {
    async write(key, data, options) {
      const durable = options?.durable !== false;
      const target = resolveKey(key);
      const dir = path.dirname(target);
      if (!madeDirs.has(dir) || durable) {
        await mkdirs(dir, durable).catch((error: unknown) => Promise.reject(conflictOr(error, key)));
        madeDirs.add(dir);
      }
      if (!durable) return writeDirect(key, target, data);
      const temp = path.join(dir, sideName(TEMP, target));
      const handle = await fsp.open(temp, 'wx');
      let size: number;
      try {
        size = await writeAll(handle, data);
        if (durable) await handle.sync();
        await handle.close();
        await fsp.rename(temp, target).catch((error: unknown) => Promise.reject(conflictOr(error, key)));
      } catch (error) {
        await handle.close().catch(() => undefined);
        await fsp.rm(temp, { force: true }).catch(() => undefined);
        throw error;
      }
      if (durable) await fsyncPath(dir);
      return { size };
    },
    async append(key, data) {
      const target = resolveKey(key);
      await mkdirs(path.dirname(target), true).catch((error: unknown) => Promise.reject(conflictOr(error, key)));
      // O_APPEND: each write lands at the end even when another process appends to the same file.
      const handle = await fsp
        .open(target, constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_NOFOLLOW)
        .catch((error: unknown) => Promise.reject(codeOf(error) === 'ELOOP' ? unsafe(key) : conflictOr(error, key)));
      try {
        await writeAll(handle, data);
        await handle.sync();
        return { size: (await handle.stat()).size };
      } finally {
        await handle.close();
      }
    },
    async read(key) {
      const { handle } = await openFile(key);
      return handle.createReadStream();
    },
    async readBytes(key) {
      const { handle } = await openFile(key);
      try {
        return await handle.readFile();
      } finally {
        await handle.close();
      }
    },
    async open(key): Promise<BlobReader> {
      const { handle, size } = await openFile(key);
      const active = new Set<Readable>();
      let closed = false;
      return {
        size,
        createReadStream(start, end) {
          checkRange(start, end, size);
          if (closed) throw new CoreError('INVALID_STATE', `blob reader for ${key} is closed`);
          const stream = rangeStream(handle, start, end);
          active.add(stream);
          finished(stream, () => active.delete(stream));
          return stream;
        },
        /** Stops the streams still reading, then closes the one file handle (after its pending reads). */
        async close() {
          if (closed) return;
          closed = true;
          for (const stream of active) stream.destroy();
          await handle.close();
        },
      };
    },
    async stat(key) {
      try {
        const stats = await fsp.stat(resolveKey(key));
        return stats.isFile() ? { size: stats.size, modifiedAt: stats.mtime } : undefined;
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
    },
    async list(prefix) {
      const keys: string[] = [];
      await listFiles(prefix === '' ? root : resolveKey(prefix), prefix, keys);
      return keys.sort();
    },
    async delete(keyOrPrefix) {
      madeDirs.clear();
      checkedDirs.clear();
      await fsp.rm(resolveKey(keyOrPrefix), { recursive: true, force: true }).catch((error: unknown) => {
        if (!isMissing(error)) throw error;
      });
    },
    /** fsyncs the `from` tree, renames `to` aside, renames `from` into place, fsyncs, then drops the old tree. */
    async replacePrefix(from, to) {
      madeDirs.clear();
      checkedDirs.clear();
      const source = resolveKey(from);
      const target = resolveKey(to);
      if (isInside(source, target) || isInside(target, source)) {
        throw new ValidationError(`cannot move ${from} to ${to}: one contains the other`, { reason: 'overlapping_keys' });
      }
      await syncTree(source).catch((error: unknown) => {
        throw isMissing(error) ? new NotFoundError(`nothing stored under ${from}`, { details: { key: from } }) : error;
      });
      const dir = path.dirname(target);
      await mkdirs(dir, true).catch((error: unknown) => Promise.reject(conflictOr(error, to)));
      const trash = path.join(dir, sideName(TRASH, target));
      const hadOld = await fsp.rename(target, trash).then(
        () => true,
        (error: unknown) => (isMissing(error) ? false : Promise.reject(error)),
      );
      try {
        await fsp.rename(source, target);
      } catch (error) {
        if (hadOld) await fsp.rename(trash, target);
        throw conflictOr(error, to);
      }
      await fsyncPath(dir);
      if (path.dirname(source) !== dir) await fsyncPath(path.dirname(source));
      await fsp.rm(trash, { recursive: true, force: true });
    },
    localPath: resolveKey,
  };
}


export { sweepFsBlobStore, sweepScratch, type SweepOptions } from './fs-sweep.js';
