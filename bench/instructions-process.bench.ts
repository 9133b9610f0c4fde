/**
 * Instruction datasets (issue 11 acceptance): upload + process of a ~1 GB Alpaca JSONL in a child
 * process, its peak RSS (target < 300 MB) and MB/s, against a plain `readline` line count of the same
 * file in the same run. `YOLOOPS_BENCH_INSTRUCTIONS_MB` picks the size (quick run: 64 MB).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { InstructionsChildReport } from './instructions-child.js';
import { isQuickRun, log, type Bench, type BenchResult } from './support/bench.js';
import { createRng } from './support/rng.js';
import { spawnTimed } from './support/spawn-timed.js';
import { formatBytes, MiB, round, timed } from './support/stats.js';
import { withTempDir } from './support/temp-dir.js';

const NAME = 'instructions-process';
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const CHILD = fileURLToPath(new URL('./instructions-child.ts', import.meta.url));
const WORDS = ['量子', '计算', '模型', 'training', 'data', '金融', '分析', 'risk', '市场', 'the', 'of', '数据集', '回答', 'question', '指令'];

function targetBytes(): number {
  const mb = Number(process.env.YOLOOPS_BENCH_INSTRUCTIONS_MB ?? (isQuickRun() ? 64 : 1000));
  if (!Number.isFinite(mb) || mb <= 0) throw new Error(`YOLOOPS_BENCH_INSTRUCTIONS_MB must be a positive number, got ${process.env.YOLOOPS_BENCH_INSTRUCTIONS_MB}`);
  return Math.round(mb * 1e6);
}

/** Writes unique Alpaca records (≈ 300–700 bytes each) until `bytes` are written; returns records and bytes. */
async function writeJsonl(file: string, bytes: number): Promise<{ records: number; bytes: number }> {
  const random = createRng(11);
  const text = (words: number) => Array.from({ length: words }, () => WORDS[Math.floor(random() * WORDS.length)]).join(' ');
  const out = createWriteStream(file);
  let [written, records, chunk] = [0, 0, ''];
  while (written < bytes) {
    const line = `${JSON.stringify({ instruction: `#${records} ${text(10 + Math.floor(random() * 20))}`, input: random() < 0.3 ? text(8) : '', output: text(30 + Math.floor(random() * 60)) })}\n`;
    chunk += line;
    written += Buffer.byteLength(line);
    records += 1;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'close');
  return { records, bytes: written };
}

async function countLines(file: string): Promise<number> {
  let lines = 0;
  for await (const _ of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) lines += 1;
  return lines;
}

async function runChild(file: string, dataDir: string): Promise<InstructionsChildReport> {
  const { stdout } = await spawnTimed(process.execPath, ['--import', 'tsx', '--conditions=source', CHILD, file, dataDir], { cwd: REPO_ROOT });
  const line = stdout.trim().split('\n').findLast((l) => l.startsWith('{'));
  if (!line) throw new Error(`instructions-child printed no report: ${stdout.slice(-500)}`);
  return JSON.parse(line) as InstructionsChildReport;
}

async function measure(dir: string): Promise<BenchResult[]> {
  const file = path.join(dir, 'alpaca.jsonl');
  const made = await timed(() => writeJsonl(file, targetBytes()));
  const { records, bytes } = made.result;
  const size = formatBytes(bytes);
  log(NAME, `wrote ${records} records (${size}) in ${(made.ms / 1000).toFixed(1)} s; counting lines, then upload + process in a child…`);
  const baseline = await timed(() => countLines(file));
  if (baseline.result !== records) throw new Error(`readline counted ${baseline.result} lines of ${records}`);
  const report = await runChild(file, path.join(dir, 'data'));
  if (report.samples !== records) throw new Error(`upload kept ${report.samples} of ${records} records`);
  const mbps = (ms: number) => round(bytes / 1e6 / (ms / 1000));
  const mb = (b: number) => round(b / 1e6);
  log(NAME, `readline ${(baseline.ms / 1000).toFixed(1)} s, upload ${(report.uploadMs / 1000).toFixed(1)} s, process ${(report.processMs / 1000).toFixed(1)} s`);
  return [
    {
      metric: `peak RSS, upload + process of ${size} JSONL`, value: mb(Math.max(report.uploadPeakRssBytes, report.processPeakRssBytes)), unit: 'MB', target: { op: '<', value: 300 },
      note: `sampled every 20 ms; upload ${mb(report.uploadPeakRssBytes)} MB, process ${mb(report.processPeakRssBytes)} MB, at start ${mb(report.rssBeforeUploadBytes)} MB${report.hwmRssBytes === undefined ? '' : `, VmHWM ${mb(report.hwmRssBytes)} MB`}`,
    },
    { metric: 'readline line count (baseline)', value: mbps(baseline.ms), unit: 'MB/s', note: `${records} lines in ${(baseline.ms / 1000).toFixed(1)} s` },
    { metric: 'upload (store + validate)', value: mbps(report.uploadMs), unit: 'MB/s', note: `${round(mbps(report.uploadMs) / mbps(baseline.ms))} × readline` },
    {
      metric: 'process (2 passes + write splits)', value: mbps(report.processMs), unit: 'MB/s',
      note: `${round(mbps(report.processMs) / mbps(baseline.ms))} × readline; splits ${report.splits.train}/${report.splits.validation}/${report.splits.test}`,
    },
  ];
}

export const bench: Bench = {
  name: NAME,
  run: () => withTempDir(NAME, measure),
};
