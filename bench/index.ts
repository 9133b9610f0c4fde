/**
 * Runs every `bench/*.bench.ts` in name order (or those whose name contains an argument:
 * `npm run bench -- dataset`) and prints one summary table. A missed target prints MISS and never
 * fails the process; a bench that throws is reported and makes the exit code 1.
 */
import * as fsp from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import { isQuickRun, meetsTarget, type Bench, type BenchResult, type BenchTarget } from './support/bench.js';
import { readCpuTimes, stealShare } from './support/cpu-steal.js';
import { removeAllTempDirsSync } from './support/temp-dir.js';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const OP_SIGN: Record<BenchTarget['op'], string> = { '<': '<', '<=': '≤', '>': '>', '>=': '≥' };

interface Row {
  bench: string;
  result?: BenchResult;
  error?: string;
}

async function loadBenches(filters: readonly string[]): Promise<Bench[]> {
  const files = (await fsp.readdir(BENCH_DIR)).filter((f) => f.endsWith('.bench.ts')).sort();
  const benches: Bench[] = [];
  for (const file of files) {
    const mod = (await import(pathToFileURL(path.join(BENCH_DIR, file)).href)) as { bench?: Bench };
    if (!mod.bench || typeof mod.bench.run !== 'function') throw new Error(`${file} does not export \`bench: Bench\``);
    if (filters.length === 0 || filters.some((f) => mod.bench!.name.includes(f))) benches.push(mod.bench);
  }
  return benches;
}

function formatRow(row: Row): string[] {
  if (!row.result) return [row.bench, 'ERROR', '', '', '', row.error ?? ''];
  const { metric, value, unit, target, note } = row.result;
  const goal = target ? `(target ${OP_SIGN[target.op]} ${target.value})` : '';
  const verdict = target ? (meetsTarget(value, target) ? 'ok' : 'MISS') : '';
  return [row.bench, metric, `${value} ${unit}`, goal, verdict, note ?? ''];
}

function printTable(rows: readonly Row[]): void {
  const cells = rows.map(formatRow);
  const widths = [0, 1, 2, 3, 4].map((c) => Math.max(...cells.map((r) => r[c]!.length)));
  for (const r of cells) {
    const padded = r.slice(0, 5).map((cell, c) => (c === 2 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)));
    console.log(`${padded.join('  ')}  ${r[5]}`.trimEnd());
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  const benches = await loadBenches(process.argv.slice(2));
  const quick = isQuickRun() ? ' — QUICK RUN (YOLOOPS_BENCH_QUICK=1): inputs shrunk, figures not representative' : '';
  console.log(`yoloops bench · node ${process.version} · ${os.cpus().length} CPUs · ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB${quick}`);
  const rows: Row[] = [];
  const steals: { bench: string; share: number }[] = [];
  for (const bench of benches) {
    const start = performance.now();
    const cpuBefore = readCpuTimes();
    try {
      for (const result of await bench.run()) rows.push({ bench: bench.name, result });
    } catch (error) {
      process.exitCode = 1;
      rows.push({ bench: bench.name, error: error instanceof Error ? error.message : String(error) });
      console.error(`[${bench.name}] failed:`, error);
    } finally {
      removeAllTempDirsSync();
    }
    const steal = stealShare(cpuBefore, readCpuTimes());
    if (steal !== undefined) steals.push({ bench: bench.name, share: steal });
    console.error(`[${bench.name}] done in ${((performance.now() - start) / 1000).toFixed(1)} s`);
  }
  console.log('');
  printTable(rows);
  if (steals.length > 0) {
    // a busy host slows this VM's threads at random: ratios between moments are then unreliable
    const listed = steals.map((s) => `${s.bench} ${(s.share * 100).toFixed(1)}%`).join(', ');
    const busy = steals.some((s) => s.share > 0.02) ? ' — above 2%: rerun before trusting these figures' : '';
    console.log(`\nCPU time stolen by the host (virtual machine): ${listed}${busy}`);
  }
  console.log(`\n${benches.length} bench(es) in ${((performance.now() - started) / 1000).toFixed(1)} s${quick ? ' (quick run)' : ''}`);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    removeAllTempDirsSync();
    process.exit(130);
  });
}
process.once('exit', removeAllTempDirsSync);

await main();
