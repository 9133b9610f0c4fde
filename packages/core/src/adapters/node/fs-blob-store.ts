import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants, mkdirSync, realpathSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { finished, Readable } from 'node:stream';
import { promisify } from 'node:util';
import { CoreError, NotFoundError, ValidationError } from '../../errors.js';
import { parseBlobKey } from '../../storage/blob-key.js';
import type { BlobReader, BlobStore } from '../../storage/blob-store.port.js';

const TEMP = '.tmp-';
const TRASH = '.trash-';
const STAGING = '.staging-';
const TRASH_NAME = /^\.trash-[0-9a-f]{16}-(.+)$/;

const codeOf = (error: unknown) => (error as NodeJS.ErrnoException | undefined)?.code;
const isMissing = (error: unknown) => codeOf(error) === 'ENOENT' || codeOf(error) === 'ENOTDIR';
const isReserved = (name: string) => name.startsWith(TEMP) || name.startsWith(TRASH);
/** `<marker><random>-<basename>`; the basename is dropped when too long for a file name. */
const sideName = (marker: string, target: string) => {
  const base = path.basename(target);
  return `${marker}${randomBytes(8).toString('hex')}-${Buffer.byteLength(base) <= 200 ? base : ''}`;
};

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

/** fsync of a file, or of a folder to make renames and new entries in it durable (Pillai et al., OSDI 2014). */
async function fsyncPath(target: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await fsp.open(target, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** `mkdir -p`; when durable, also fsyncs the parent of every folder it creates. */
async function mkdirs(dir: string, durable: boolean): Promise<void> {
  const first = await fsp.mkdir(dir, { recursive: true });
  if (first === undefined || !durable) return;
  for (let created = dir; ; created = path.dirname(created)) {
    await fsyncPath(path.dirname(created));
    if (created === first) return;
  }
}

const execFileAsync = promisify(execFile);

/**
 * Makes a tree durable: on Linux one `syncfs(2)` of its filesystem (coreutils `sync --file-system`), which
 * costs one call instead of one fsync per file; elsewhere, or if that fails, an fsync of every file and folder.
 */
async function syncTree(top: string): Promise<void> {
  if (process.platform === 'linux') {
    try {
      await execFileAsync('sync', ['--file-system', top], { timeout: 120_000 });
      return;
    } catch {
      // no coreutils sync here: fall back to per-file fsync
    }
  }
  await fsyncTree(top);
}

/** fsyncs every file and folder of a tree, so blobs written with `durable: false` are durable once published. */
async function fsyncTree(top: string): Promise<void> {
  const paths = [top];
  if ((await fsp.lstat(top)).isDirectory()) {
    for (const entry of await fsp.readdir(top, { recursive: true, withFileTypes: true })) {
      if (entry.isFile() || entry.isDirectory()) paths.push(path.join(entry.parentPath, entry.name));
    }
  }
  for (let at = 0; at < paths.length; at += 32) await Promise.all(paths.slice(at, at + 32).map(fsyncPath));
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

/**
 * Cleans what a crash can leave under the root: removes `.tmp-*` files and `.staging-*` trees, and
 * each `.trash-*` tree, unless its target is missing (a crash inside `replacePrefix`), in which case
 * the old tree is renamed back. Run once at startup, before serving. Returns the relative paths handled.
 */
export async function sweepFsBlobStore(rootDir: string): Promise<string[]> {
  const handled: string[] = [];
  const sweep = async (dir: string, rel: string): Promise<void> => {
    const entries = await fsp.readdir(dir, { withFileTypes: true }).catch((error: unknown) => {
      if (isMissing(error)) return [];
      throw error;
    });
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      const relPath = rel === '' ? entry.name : `${rel}/${entry.name}`;
      const trashOf = TRASH_NAME.exec(entry.name)?.[1];
      if (trashOf !== undefined && entry.isDirectory() && !(await fsp.lstat(path.join(dir, trashOf)).catch(() => false))) {
        await fsp.rename(full, path.join(dir, trashOf));
        await fsyncPath(dir);
        handled.push(relPath);
        await sweep(path.join(dir, trashOf), rel === '' ? trashOf : `${rel}/${trashOf}`);
      } else if (entry.name.startsWith(TEMP) || entry.name.startsWith(TRASH) || entry.name.startsWith(STAGING)) {
        await fsp.rm(full, { recursive: true, force: true });
        handled.push(relPath);
      } else if (entry.isDirectory()) {
        await sweep(full, relPath);
      }
    }
  };
  await sweep(path.resolve(rootDir), '');
  if (handled.length > 0) await fsyncPath(path.resolve(rootDir)).catch(() => undefined);
  return handled;
}
