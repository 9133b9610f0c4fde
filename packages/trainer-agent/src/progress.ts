import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ResultsCsvRow } from '@yoloops/core';

/** Shows training progress on stderr: one redrawn line with a bar on a TTY, one plain line per epoch otherwise. */
export interface Progress {
  epoch(row: ResultsCsvRow, runDir: string): void;
  /** Ends the redrawn line (TTY) so later output starts on a new line. */
  done(): void;
}

/** Shown metrics: label → columns that may hold it, in order of preference. */
const SHOWN: readonly (readonly [string, readonly string[]])[] = [
  ['box_loss', ['train/box_loss', 'train/loss']],
  ['cls_loss', ['train/cls_loss']],
  ['mAP50', ['metrics/mAP50(B)', 'metrics/mAP_0.5', 'metrics/accuracy_top1']],
  ['mAP50-95', ['metrics/mAP50-95(B)', 'metrics/mAP_0.5:0.95']],
];

/** The number of epochs the trainer was asked for: `epochs=N` / `--epochs N` in its argv, else `epochs:` in the run's args.yaml. */
export function totalEpochs(command: readonly string[], runDir?: string): number | undefined {
  for (const [i, arg] of command.entries()) {
    const match = /^(?:--)?epochs=(\d+)$/.exec(arg) ?? (arg === '--epochs' ? /^(\d+)$/.exec(command[i + 1] ?? '') : null);
    if (match?.[1]) return Number(match[1]);
  }
  if (runDir === undefined) return undefined;
  try {
    const match = /^epochs:\s*(\d+)\s*$/m.exec(readFileSync(path.join(runDir, 'args.yaml'), 'utf8'));
    return match?.[1] ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** One line of key metrics, e.g. `epoch 3/10  box_loss 1.234  mAP50 0.456`. */
export function formatEpoch(row: ResultsCsvRow, total: number | undefined): string {
  const parts = [`epoch ${row.epoch}${total ? `/${total}` : ''}`];
  for (const [label, columns] of SHOWN) {
    const value = columns.map((column) => row.values[column]).find((v) => typeof v === 'number');
    if (typeof value === 'number') parts.push(`${label} ${Number(value.toPrecision(4))}`);
  }
  return parts.join('  ');
}

/** Creates the display for `stream` (normally process.stderr). */
export function createProgress(stream: NodeJS.WritableStream & { isTTY?: boolean }, command: readonly string[]): Progress {
  let total: number | undefined;
  let drawn = false;
  return {
    epoch(row, runDir) {
      total ??= totalEpochs(command, runDir);
      const line = formatEpoch(row, total);
      if (!stream.isTTY) {
        stream.write(`yoloops-agent: ${line}\n`);
        return;
      }
      const filled = total ? Math.min(20, Math.round((row.epoch / total) * 20)) : 0;
      const bar = total ? `[${'#'.repeat(filled)}${'.'.repeat(20 - filled)}] ` : '';
      stream.write(`\r\u001b[2K${bar}${line}`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write('\n');
      drawn = false;
    },
  };
}
