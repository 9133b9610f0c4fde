import { isCoreError } from '../errors.js';
import { createTaskPool } from '../platform/limit-concurrency.js';
import type { BlobStore } from '../storage/blob-store.port.js';
import type { ImageInfo, ImageProbe } from './image-probe.port.js';
import type { PlannedImage } from './plan-splits.js';
import type { SafeZip, ZipEntryInfo } from './zip/open-safe-zip.js';

export interface ExtractedImage {
  plan: PlannedImage;
  info?: ImageInfo;
  /** Why the image was rejected (decode failure, pixel cap…). */
  problem?: { code: string; message: string };
}

export interface ExtractImagesOptions {
  zip: SafeZip;
  blobs: BlobStore;
  images: ImageProbe;
  /** Key of the staging version folder. */
  staging: string;
  plans: readonly PlannedImage[];
  /** Images extracted and checked at once. */
  concurrency: number;
}

/** Images up to this size are checked in memory before they are written; larger ones are streamed to disk first. */
const IN_MEMORY_BYTES = 16 * 1024 * 1024;

/** Runs an image check, turning a rejected image into a reported problem (other failures propagate). */
async function check(probe: () => Promise<ImageInfo>): Promise<Pick<ExtractedImage, 'info' | 'problem'>> {
  try {
    return { info: await probe() };
  } catch (error) {
    if (!isCoreError(error) || error.code !== 'INVALID_INPUT') throw error;
    return { problem: { code: error.reason ?? 'image_decode_failed', message: error.message } };
  }
}

async function extractOne(o: ExtractImagesOptions, plan: PlannedImage, entry: ZipEntryInfo): Promise<ExtractedImage> {
  const key = `${o.staging}/${plan.target}`;
  if (entry.uncompressedSize === 0) return { plan, problem: { code: 'image_decode_failed', message: 'image file is empty (0 bytes)' } };
  if (entry.uncompressedSize <= IN_MEMORY_BYTES) {
    const bytes = await o.zip.readEntry(entry, IN_MEMORY_BYTES);
    const result = await check(() => o.images.probe({ bytes }));
    if (result.info) await o.blobs.write(key, bytes, { durable: false });
    return { plan, ...result };
  }
  await o.blobs.write(key, await o.zip.openEntry(entry), { durable: false });
  const path = o.blobs.localPath?.(key);
  const result = await check(async () => o.images.probe(path ? { path } : { bytes: await o.blobs.readBytes(key) }));
  if (result.problem) await o.blobs.delete(key);
  return { plan, ...result };
}

/**
 * Extracts every planned image into the staging folder, several at a time: small images are read whole,
 * checked in memory and written only when valid; large ones are streamed to disk (never whole in memory)
 * and checked there. ZIP-level failures (bombs, size lies) abort; a bad image is reported, not kept.
 */
export async function extractImages(options: ExtractImagesOptions): Promise<ExtractedImage[]> {
  const byEntry = new Map<string, ZipEntryInfo>(options.zip.entries.map((e) => [e.name, e]));
  const pool = createTaskPool(options.concurrency);
  const results: ExtractedImage[] = [];
  try {
    for (const plan of options.plans) {
      const entry = byEntry.get(plan.image.entry);
      if (!entry) continue;
      const at = results.push({ plan }) - 1;
      await pool.add(async () => {
        results[at] = await extractOne(options, plan, entry);
      });
    }
  } catch (error) {
    await pool.drain().catch(() => undefined); // nothing left writing into a folder the caller is about to remove
    throw error;
  }
  await pool.drain();
  return results;
}
