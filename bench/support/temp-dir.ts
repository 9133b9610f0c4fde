import { rmSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const live = new Set<string>();

/** A fresh `os.tmpdir()/yoloops-bench-<label>-XXXXXX` folder, removed by `removeTempDir` or `removeAllTempDirsSync`. */
export async function createTempDir(label: string): Promise<string> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), `yoloops-bench-${label}-`));
  live.add(dir);
  return dir;
}

export async function removeTempDir(dir: string): Promise<void> {
  await fsp.rm(dir, { recursive: true, force: true });
  live.delete(dir);
}

/** Last-resort cleanup (process exit, Ctrl-C) of every folder still registered. */
export function removeAllTempDirsSync(): void {
  for (const dir of live) {
    rmSync(dir, { recursive: true, force: true });
    live.delete(dir);
  }
}

/** Runs `fn` in a fresh temp folder and removes the folder afterwards, also when `fn` throws. */
export async function withTempDir<T>(label: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await createTempDir(label);
  try {
    return await fn(dir);
  } finally {
    await removeTempDir(dir);
  }
}
