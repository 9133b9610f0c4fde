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
  concurrency: number;
}

async function probeStored(blobs: BlobStore, probe: ImageProbe, key: string): Promise<ImageInfo> {
  const path = blobs.localPath?.(key);
  return probe.probe(path ? { path } : { bytes: await blobs.readBytes(key) });
}

/**
 * Streams every planned image from the ZIP into the staging folder (one entry at a time, never whole
 * in memory) and decodes each one, overlapping decoding with the next entry's extraction.
 * ZIP-level failures (bombs, size lies) abort; an undecodable image is removed and reported.
 */
export async function extractImages(options: ExtractImagesOptions): Promise<ExtractedImage[]> {
  const { zip, blobs, images, staging } = options;
  const byEntry = new Map<string, ZipEntryInfo>(zip.entries.map((e) => [e.name, e]));
  const pool = createTaskPool(options.concurrency);
  const results: ExtractedImage[] = [];
  try {
    for (const plan of options.plans) {
      const entry = byEntry.get(plan.image.entry);
      if (!entry) continue;
      const key = `${staging}/${plan.target}`;
      const { size } = await blobs.write(key, await zip.openEntry(entry), { durable: false });
      const result: ExtractedImage = { plan };
      results.push(result);
      if (size === 0) {
        result.problem = { code: 'image_decode_failed', message: 'image file is empty (0 bytes)' };
        await blobs.delete(key);
        continue;
      }
      await pool.add(async () => {
        try {
          result.info = await probeStored(blobs, images, key);
        } catch (error) {
          if (!isCoreError(error) || error.code !== 'INVALID_INPUT') throw error;
          result.problem = { code: error.reason ?? 'image_decode_failed', message: error.message };
          await blobs.delete(key);
        }
      });
    }
  } catch (error) {
    await pool.drain().catch(() => undefined); // no decoding left running on files the caller is about to remove
    throw error;
  }
  await pool.drain();
  return results;
}
