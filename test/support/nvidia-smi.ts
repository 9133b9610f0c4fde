import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Output of `nvidia-smi --query-gpu=<the fields yoloops asks> --format=csv,noheader,nounits` on a machine with an A100 80GB and an RTX 4090 (whose power draw reads `[N/A]`). */
export const TWO_GPUS_CSV = readFileSync(path.join(import.meta.dirname, '__fixtures__', 'nvidia-smi-a100-rtx4090.csv'), 'utf8');

export interface FakeNvidiaSmi {
  /** Folder holding the program (put it first on PATH, or pass `program`). */
  dir: string;
  program: string;
  /** How many times it ran. */
  runs(): number;
  /** The arguments of each run. */
  calls(): string[];
  remove(): void;
}

/**
 * Writes a stand-in `nvidia-smi` (a sh script) into a fresh temp folder: it logs each run's arguments,
 * optionally sleeps, prints `stdout` / `stderr` and exits with `exitCode`.
 */
export function writeFakeNvidiaSmi(options: { stdout?: string; stderr?: string; exitCode?: number; sleepS?: number } = {}): FakeNvidiaSmi {
  const dir = mkdtempSync(path.join(tmpdir(), 'yoloops-nvidia-smi-'));
  const program = path.join(dir, 'nvidia-smi');
  writeFileSync(path.join(dir, 'stdout.txt'), options.stdout ?? TWO_GPUS_CSV);
  writeFileSync(path.join(dir, 'stderr.txt'), options.stderr ?? '');
  const script = [
    '#!/bin/sh',
    'here=$(dirname "$0")',
    'echo "$*" >> "$here/calls.log"',
    options.sleepS ? `sleep ${options.sleepS}` : '',
    'cat "$here/stdout.txt"',
    'cat "$here/stderr.txt" >&2',
    `exit ${options.exitCode ?? 0}`,
    '',
  ].join('\n');
  writeFileSync(program, script, { mode: 0o755 });
  const log = path.join(dir, 'calls.log');
  const calls = () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter((l) => l !== '') : []);
  return { dir, program, calls, runs: () => calls().length, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
