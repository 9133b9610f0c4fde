/**
 * Dataset preparation (issue acceptance): `prepare` against `unzip` of the same ZIP, and the peak RSS
 * of preparing a ≥ 1 GiB ZIP, measured in a child process. Inputs are synthetic and generated here.
 */
import { createReadStream } from 'node:fs';
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNodePlatform } from '@yoloops/core/node';
import type { PrepareChildReport } from './prepare-child.js';
import { isQuickRun, log, type Bench, type BenchResult } from './support/bench.js';
import { spawnTimed } from './support/spawn-timed.js';
import { formatBytes, GiB, median, MiB, round, timed } from './support/stats.js';
import { createSyntheticJpegs } from './support/synthetic-jpegs.js';
import { withTempDir } from './support/temp-dir.js';
import { writeDatasetZip } from './support/write-dataset-zip.js';

const NAME = 'dataset-prepare';
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const CHILD = fileURLToPath(new URL('./prepare-child.ts', import.meta.url));
const CLASSES = ['a', 'b', 'c'];
const REPEATS = 3;

const sizes = () =>
  isQuickRun()
    ? { images: 200, distinct: 40, largeZipBytes: 100 * MiB, largeDistinct: 10 }
    : { images: 2000, distinct: 300, largeZipBytes: GiB, largeDistinct: 48 };

/** Flushes dirty pages left by the previous run, so that its writeback does not land in the next timing. */
const flushPageCache = () => spawnTimed('sync', []);

async function unzipOnce(zip: string, dir: string): Promise<number> {
  await flushPageCache();
  try {
    return (await spawnTimed('unzip', ['-q', '-o', zip, '-d', dir])).ms;
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

async function prepareOnce(zip: string, dataDir: string, expectedImages: number): Promise<number> {
  const platform = await createNodePlatform({ dataDir });
  try {
    const dataset = await platform.datasets.upload({ filename: 'bench.zip', body: createReadStream(zip) });
    await flushPageCache();
    const { ms, result } = await timed(() => platform.datasets.prepare(dataset.dataset_id, {}));
    if (result.image_count !== expectedImages) throw new Error(`prepare kept ${result.image_count} of ${expectedImages} images`);
    return ms;
  } finally {
    platform.close();
    await fsp.rm(dataDir, { recursive: true, force: true });
  }
}

/** `prepare` vs `unzip -q -o` of one 640×480 JPEG dataset ZIP, alternating which runs first. */
async function prepareVersusUnzip(dir: string): Promise<BenchResult[]> {
  const { images, distinct } = sizes();
  const zip = path.join(dir, 'small.zip');
  const made = await timed(async () => {
    const jpegs = await createSyntheticJpegs({ count: distinct, width: 640, height: 480, quality: 85, noise: 36, seed: 1 });
    return writeDatasetZip({ file: zip, jpegs, train: images * 0.8, val: images * 0.2, classes: CLASSES });
  });
  log(NAME, `made ${images} × 640×480 JPEG ZIP (${formatBytes(made.result)}) in ${(made.ms / 1000).toFixed(1)} s`);
  const unzipMs: number[] = [];
  const prepareMs: number[] = [];
  for (let run = 0; run < REPEATS; run++) {
    const unzip = () => unzipOnce(zip, path.join(dir, `unzip-${run}`)).then((ms) => unzipMs.push(ms));
    const prepare = () => prepareOnce(zip, path.join(dir, `data-${run}`), images).then((ms) => prepareMs.push(ms));
    if (run % 2 === 0) await unzip().then(prepare);
    else await prepare().then(unzip);
    log(NAME, `run ${run + 1}/${REPEATS}: unzip ${unzipMs[run]!.toFixed(0)} ms, prepare ${prepareMs[run]!.toFixed(0)} ms`);
  }
  const [unzip, prepare] = [median(unzipMs), median(prepareMs)];
  const about = `${images} images, ${formatBytes(made.result)} ZIP, median of ${REPEATS}`;
  return [
    { metric: 'prepare ÷ unzip', value: round(prepare / unzip), unit: '×', target: { op: '<=', value: 2 }, note: about },
    { metric: 'unzip -q (baseline)', value: round(unzip), unit: 'ms', note: `runs ${unzipMs.map((ms) => ms.toFixed(0)).join(', ')}` },
    { metric: 'prepare', value: round(prepare), unit: 'ms', note: `runs ${prepareMs.map((ms) => ms.toFixed(0)).join(', ')}` },
    { metric: 'prepare throughput', value: round(images / (prepare / 1000)), unit: 'images/s' },
  ];
}

async function runPrepareChild(zip: string, dataDir: string): Promise<PrepareChildReport> {
  const { stdout } = await spawnTimed(process.execPath, ['--import', 'tsx', '--conditions=source', CHILD, zip, dataDir], { cwd: REPO_ROOT });
  const line = stdout.trim().split('\n').findLast((l) => l.startsWith('{'));
  if (!line) throw new Error(`prepare-child printed no report: ${stdout.slice(-500)}`);
  return JSON.parse(line) as PrepareChildReport;
}

/** Peak RSS of a child process that uploads then prepares a ZIP of at least `largeZipBytes`. */
async function peakRssOfLargePrepare(dir: string): Promise<BenchResult[]> {
  const { largeZipBytes, largeDistinct } = sizes();
  const zip = path.join(dir, 'large.zip');
  const made = await timed(async () => {
    const jpegs = await createSyntheticJpegs({ count: largeDistinct, width: 1600, height: 1200, quality: 85, noise: 50, seed: 2 });
    const average = jpegs.reduce((sum, jpeg) => sum + jpeg.length, 0) / jpegs.length;
    const images = Math.ceil((largeZipBytes * 1.02) / average / 10) * 10;
    const bytes = await writeDatasetZip({ file: zip, jpegs, train: images * 0.8, val: images * 0.2, classes: CLASSES });
    return { images, bytes };
  });
  const { images, bytes } = made.result;
  if (bytes < largeZipBytes) throw new Error(`large ZIP is ${formatBytes(bytes)}, under the ${formatBytes(largeZipBytes)} asked for`);
  log(NAME, `made ${images} × 1600×1200 JPEG ZIP (${formatBytes(bytes)}) in ${(made.ms / 1000).toFixed(1)} s (bench RSS ${(process.memoryUsage.rss() / 1e6).toFixed(0)} MB); preparing in a child…`);
  const report = await runPrepareChild(zip, path.join(dir, 'data'));
  if (report.imageCount !== images) throw new Error(`prepare kept ${report.imageCount} of ${images} images`);
  log(NAME, `child: upload ${(report.uploadMs / 1000).toFixed(1)} s, prepare ${(report.prepareMs / 1000).toFixed(1)} s`);
  const mb = (b: number) => round(b / 1e6);
  const size = formatBytes(bytes);
  return [
    {
      metric: `peak RSS preparing ${size} ZIP`,
      value: mb(report.peakRssBytes),
      unit: 'MB',
      target: { op: '<', value: 300 },
      note: [
        `sampled every 20 ms; before prepare ${mb(report.rssBeforePrepareBytes)} MB, upload peak ${mb(report.uploadPeakRssBytes)} MB`,
        report.hwmRssBytes === undefined ? '' : `, kernel VmHWM (whole child) ${mb(report.hwmRssBytes)} MB`,
      ].join(''),
    },
    { metric: `prepare throughput (${size})`, value: round(bytes / 1e6 / (report.prepareMs / 1000)), unit: 'MB/s', note: `${images} images in ${(report.prepareMs / 1000).toFixed(1)} s` },
  ];
}

export const bench: Bench = {
  name: NAME,
  async run() {
    const versusUnzip = await withTempDir(NAME, prepareVersusUnzip);
    const largeZip = await withTempDir(NAME, peakRssOfLargePrepare);
    return [...versusUnzip, ...largeZip];
  },
};
