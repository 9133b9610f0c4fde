import { randomBytes } from 'node:crypto';
import path from 'node:path';

/** Names the fs blob store reserves for its own temp files, trash and staging folders. */
export const TEMP = '.tmp-';
export const TRASH = '.trash-';
export const STAGING = '.staging-';
export const TRASH_NAME = /^\.trash-[0-9a-f]{16}-(.+)$/;

export const codeOf = (error: unknown) => (error as NodeJS.ErrnoException | undefined)?.code;
export const isMissing = (error: unknown) => codeOf(error) === 'ENOENT' || codeOf(error) === 'ENOTDIR';
export const isReserved = (name: string) => name.startsWith(TEMP) || name.startsWith(TRASH);
/** `<marker><random>-<basename>`; the basename is dropped when too long for a file name. */
export const sideName = (marker: string, target: string) => {
  const base = path.basename(target);
  return `${marker}${randomBytes(8).toString('hex')}-${Buffer.byteLength(base) <= 200 ? base : ''}`;
};

