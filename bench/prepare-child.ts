/**
 * Child process of dataset-prepare.bench.ts: uploads one ZIP into a fresh platform, prepares it while
 * sampling RSS every 20 ms, and prints one JSON line (`PrepareChildReport`) to stdout. Run apart from the
 * bench so that the generator's memory does not count:
 *   node --import tsx --conditions=source bench/prepare-child.ts <zip> <dataDir>
 */
import { createReadStream } from 'node:fs';
import { createRssSampler, readVmHwmBytes } from './support/rss-sampler.js';
import { createNodePlatform } from '@yoloops/core/node';

export interface PrepareChildReport {
  /** Highest RSS sampled while `prepare` ran. */
  peakRssBytes: number;
  /** Highest RSS sampled while the upload streamed in. */
  uploadPeakRssBytes: number;
  /** RSS right before `prepare` started. */
  rssBeforePrepareBytes: number;
  /** `getrusage` high-water mark in KiB. On Linux a spawned child starts from its parent's mark (the fork copy), so it can exceed anything this process used. */
  maxRssKiB: number;
  /** Kernel high-water mark of this process's own memory (`VmHWM` of /proc/self/status), whole lifetime; undefined off Linux. */
  hwmRssBytes?: number;
  uploadMs: number;
  prepareMs: number;
  imageCount: number;
}

async function main(): Promise<void> {
  const [zip, dataDir] = process.argv.slice(2);
  if (!zip || !dataDir) throw new Error('usage: prepare-child.ts <zip> <dataDir>');
  const platform = await createNodePlatform({ dataDir });
  const sampler = createRssSampler(20);
  try {
    sampler.take();
    const uploadStart = performance.now();
    const dataset = await platform.datasets.upload({ filename: 'bench.zip', body: createReadStream(zip) });
    const uploadMs = performance.now() - uploadStart;
    const uploadPeakRssBytes = sampler.take();
    const rssBeforePrepareBytes = process.memoryUsage.rss();
    const prepareStart = performance.now();
    const prepared = await platform.datasets.prepare(dataset.dataset_id, {});
    const prepareMs = performance.now() - prepareStart;
    const report: PrepareChildReport = {
      peakRssBytes: sampler.take(),
      uploadPeakRssBytes,
      rssBeforePrepareBytes,
      maxRssKiB: process.resourceUsage().maxRSS,
      hwmRssBytes: readVmHwmBytes(),
      uploadMs,
      prepareMs,
      imageCount: prepared.image_count ?? 0,
    };
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    sampler.stop();
    platform.close();
  }
}

await main();
