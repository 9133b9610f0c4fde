/**
 * Child process of instructions-process.bench.ts: uploads one JSONL into a fresh data folder (fs blob
 * store + SQLite), processes it while sampling RSS every 20 ms, and prints one JSON line
 * (`InstructionsChildReport`). Run apart from the bench so that the generator's memory does not count:
 *   node --import tsx --conditions=source bench/instructions-child.ts <jsonl> <dataDir>
 */
import { createReadStream } from 'node:fs';
import { createRssSampler, readVmHwmBytes } from './support/rss-sampler.js';
import path from 'node:path';
import { createInstructionDatasetService, systemClock } from '@yoloops/core';
import { createFsBlobStore, createSqliteInstructionDatasetStore, createSqliteProcessingTaskStore, openSqliteDatabase } from '@yoloops/core/node';

export interface InstructionsChildReport {
  uploadMs: number;
  processMs: number;
  uploadPeakRssBytes: number;
  processPeakRssBytes: number;
  rssBeforeUploadBytes: number;
  /** Kernel high-water mark of this process (`VmHWM`), whole lifetime; undefined off Linux. */
  hwmRssBytes?: number;
  samples: number;
  splits: { train: number; validation: number; test: number };
}

async function main(): Promise<void> {
  const [file, dataDir] = process.argv.slice(2);
  if (!file || !dataDir) throw new Error('usage: instructions-child.ts <jsonl> <dataDir>');
  const db = openSqliteDatabase(path.join(dataDir, 'yoloops.db'));
  const service = createInstructionDatasetService({
    datasets: createSqliteInstructionDatasetStore(db),
    tasks: createSqliteProcessingTaskStore(db),
    blobs: createFsBlobStore(path.join(dataDir, 'blobs')),
    clock: systemClock,
  });
  const sampler = createRssSampler(20);
  try {
    const rssBeforeUploadBytes = sampler.take();
    const uploadStart = performance.now();
    const dataset = await service.upload({ body: createReadStream(file), filename: 'bench.jsonl', name: 'bench' });
    const uploadMs = performance.now() - uploadStart;
    const uploadPeakRssBytes = sampler.take();
    const processStart = performance.now();
    const result = await service.process({ datasetId: dataset.id, outputName: 'bench' });
    const processMs = performance.now() - processStart;
    const report: InstructionsChildReport = {
      uploadMs, processMs, uploadPeakRssBytes, processPeakRssBytes: sampler.take(), rssBeforeUploadBytes,
      hwmRssBytes: readVmHwmBytes(), samples: dataset.samples_count, splits: result.splits,
    };
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    sampler.stop();
    db.close();
  }
}

await main();
