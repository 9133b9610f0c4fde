import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { fsyncPath } from './fs-durable.js';
import { codeOf, isMissing, STAGING, TEMP, TRASH, TRASH_NAME } from './fs-names.js';

/** How old a leftover must be before a sweep touches it. */
export interface SweepOptions {
  /**
   * Entries modified within this many milliseconds are left alone (default 0: everything). Servers that
   * share one data root (a shared filesystem path) must set it: another server's write in progress looks
   * exactly like a crash's leftover.
   */
  olderThanMs?: number;
  /** The present, for the age check (default `Date.now()`). */
  now?: number;
}

const isOld = async (full: string, options: SweepOptions): Promise<boolean> => {
  const limit = options.olderThanMs ?? 0;
  if (limit <= 0) return true;
  const stat = await fsp.lstat(full).catch(() => undefined);
  return stat !== undefined && (options.now ?? Date.now()) - stat.mtimeMs > limit;
};

/**
 * Cleans what a crash can leave under the root: removes `.tmp-*` files and `.staging-*` trees, and
 * each `.trash-*` tree, unless its target is missing (a crash inside `replacePrefix`), in which case
 * the old tree is renamed back. Run once at startup, before serving. Returns the relative paths handled.
 */
export async function sweepFsBlobStore(rootDir: string, options: SweepOptions = {}): Promise<string[]> {
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
      const leftover = trashOf !== undefined || entry.name.startsWith(TEMP) || entry.name.startsWith(TRASH) || entry.name.startsWith(STAGING);
      if (leftover && !(await isOld(full, options))) continue;
      if (trashOf !== undefined && entry.isDirectory() && !(await fsp.lstat(path.join(dir, trashOf)).catch(() => false))) {
        await fsp.rename(full, path.join(dir, trashOf));
        await fsyncPath(dir);
        handled.push(relPath);
        await sweep(path.join(dir, trashOf), rel === '' ? trashOf : `${rel}/${trashOf}`);
      } else if (leftover) {
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

/**
 * Empties a scratch folder (uploads in flight) of what a previous run left: everything with the default
 * options, only entries older than `olderThanMs` when servers share the folder. Folders go once empty.
 */
export async function sweepScratch(dir: string, options: SweepOptions = {}): Promise<void> {
  const entries = await fsp.readdir(dir, { withFileTypes: true }).catch((error: unknown) => {
    if (isMissing(error)) return [];
    throw error;
  });
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      await sweepScratch(full, options);
      if (await isOld(full, options)) await fsp.rmdir(full).catch((error: unknown) => (codeOf(error) === 'ENOTEMPTY' || isMissing(error) ? undefined : Promise.reject(error)));
    } else if (await isOld(full, options)) {
      await fsp.rm(full, { force: true });
    }
  }
}
