import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { openSafeZip, ValidationError, type BlobReader, type ZipLimits } from '@yoloops/core';
import { parse, stringify } from 'yaml';
import { downloadUntilDone, type RetryOptions } from './retry.js';
import type { WorkerHttp } from './worker-http.js';

/** Where a prepared dataset version comes from (the work order's `dataset`). */
export interface DatasetSource {
  url: string;
  dataset_id: string;
  version: string;
}

/** Options of {@link createDatasetCache}. */
export interface DatasetCacheOptions {
  http: WorkerHttp;
  /** Folder of the extracted versions: `<dir>/<dataset_id>/<version>/<sha256 of the ZIP>/`. */
  dir: string;
  /** Largest ZIP accepted (default 20 GiB). */
  maxZipBytes?: number;
  /** Caps while extracting (core's defaults otherwise). */
  zipLimits?: Partial<ZipLimits>;
  retry: RetryOptions;
}

/** Prepared dataset versions on this machine, each distinct content extracted once. */
export interface DatasetCache {
  /** The local data.yaml of a version (its `path:` set to the local folder), downloading and extracting it when missing. */
  fetch(source: DatasetSource, signal?: AbortSignal): Promise<string>;
}

/** Ids used as folder names: what the server's ids look like, never a path. */
export const SAFE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Throws `ValidationError` unless `value` is usable as one folder name. */
export function safeSegment(value: string, label: string): string {
  if (!SAFE_SEGMENT.test(value) || value.includes('..')) throw new ValidationError(`${label} ${JSON.stringify(value)} cannot be a folder name (letters, digits, . _ -)`, { reason: 'unsafe_path' });
  return value;
}

/** A `BlobReader` over a local file (what `openSafeZip` reads through). */
async function fileReader(file: string): Promise<BlobReader> {
  const { size } = await stat(file);
  return { size, createReadStream: (start, end) => createReadStream(file, { start, end: end - 1 }), close: async () => undefined };
}

/** Extracts every entry of a ZIP below `into` (names were checked by `openSafeZip`: no traversal, no links, capped sizes). */
export async function extractZip(zipFile: string, into: string, limits?: Partial<ZipLimits>): Promise<void> {
  const reader = await fileReader(zipFile);
  const zip = await openSafeZip(reader, limits);
  try {
    for (const entry of zip.entries) {
      const target = path.resolve(into, entry.name);
      if (path.relative(into, target).startsWith('..')) throw new ValidationError(`ZIP entry ${JSON.stringify(entry.name)} leaves the folder`, { reason: 'unsafe_path' });
      if (entry.isDirectory) {
        await mkdir(target, { recursive: true });
        continue;
      }
      await mkdir(path.dirname(target), { recursive: true });
      await pipeline(await zip.openEntry(entry), createWriteStream(target, { flags: 'wx' }));
    }
  } finally {
    await zip.close();
    await reader.close();
  }
}

/** Points the extracted data.yaml at its folder (Ultralytics reads a relative `path:` below its own datasets folder). */
async function anchorDataYaml(extracted: string, finalDir: string): Promise<void> {
  const file = path.join(extracted, 'data.yaml');
  if (!existsSync(file)) throw new ValidationError('the dataset ZIP has no data.yaml at its root', { reason: 'no_data_yaml' });
  const data: unknown = parse(await readFile(file, 'utf8'));
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new ValidationError('the dataset\'s data.yaml is not a mapping', { reason: 'invalid_data_yaml' });
  await writeFile(file, stringify({ ...data, path: finalDir }));
}

/** sha256 of a file, read as a stream. */
async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest('hex');
}

/**
 * Creates the cache. Every fetch downloads the version's ZIP (streamed, size-capped): a prepared version
 * keeps its name when it is prepared again, so only the bytes tell whether it changed. The ZIP is then
 * extracted safely into a temporary folder and renamed to `<dir>/<dataset_id>/<version>/<sha256>`, so a
 * folder that exists is complete and the same bytes are extracted once.
 */
export function createDatasetCache(options: DatasetCacheOptions): DatasetCache {
  return {
    async fetch(source, signal) {
      const versionDir = path.join(options.dir, safeSegment(source.dataset_id, 'dataset id'), safeSegment(source.version, 'dataset version'));
      await mkdir(versionDir, { recursive: true });
      const temp = path.join(options.dir, `.partial-${randomBytes(6).toString('hex')}`);
      try {
        await mkdir(path.join(temp, 'files'), { recursive: true });
        const zip = path.join(temp, 'dataset.zip');
        const what = `dataset ${source.dataset_id}/${source.version}`;
        const retry = { ...options.retry, ...(signal ? { signal } : {}) };
        await downloadUntilDone(options.http, { route: source.url, file: zip, maxBytes: options.maxZipBytes ?? 20 * 1024 ** 3, what }, retry);
        const finalDir = path.join(versionDir, await sha256Of(zip));
        const dataYaml = path.join(finalDir, 'data.yaml');
        if (existsSync(dataYaml)) return dataYaml;
        await extractZip(zip, path.join(temp, 'files'), options.zipLimits);
        await anchorDataYaml(path.join(temp, 'files'), finalDir);
        // Another attempt may have extracted the same bytes meanwhile: theirs is as good.
        if (!existsSync(dataYaml)) await rename(path.join(temp, 'files'), finalDir);
        return dataYaml;
      } finally {
        await rm(temp, { recursive: true, force: true });
      }
    },
  };
}
