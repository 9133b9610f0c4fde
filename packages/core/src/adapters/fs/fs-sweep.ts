import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { fsyncPath } from './fs-durable.js';
import { codeOf, isMissing, STAGING, TEMP, TRASH, TRASH_NAME } from './fs-names.js';

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
