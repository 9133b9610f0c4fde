import { execFile } from 'node:child_process';
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

/** fsync of a file, or of a folder to make renames and new entries in it durable (Pillai et al., OSDI 2014). */
export async function fsyncPath(target: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await fsp.open(target, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** `mkdir -p`; when durable, also fsyncs the parent of every folder it creates. */
export async function mkdirs(dir: string, durable: boolean): Promise<void> {
  const first = await fsp.mkdir(dir, { recursive: true });
  if (first === undefined || !durable) return;
  for (let created = dir; ; created = path.dirname(created)) {
    await fsyncPath(path.dirname(created));
    if (created === first) return;
  }
}

const execFileAsync = promisify(execFile);

/**
 * Makes a tree durable: on Linux one `syncfs(2)` of its filesystem (coreutils `sync --file-system`), which
 * costs one call instead of one fsync per file; elsewhere, or if that fails, an fsync of every file and folder.
 */
export async function syncTree(top: string): Promise<void> {
  if (process.platform === 'linux') {
    try {
      await execFileAsync('sync', ['--file-system', top], { timeout: 120_000 });
      return;
    } catch {
      // no coreutils sync here: fall back to per-file fsync
    }
  }
  await fsyncTree(top);
}

/** fsyncs every file and folder of a tree, so blobs written with `durable: false` are durable once published. */
async function fsyncTree(top: string): Promise<void> {
  const paths = [top];
  if ((await fsp.lstat(top)).isDirectory()) {
    for (const entry of await fsp.readdir(top, { recursive: true, withFileTypes: true })) {
      if (entry.isFile() || entry.isDirectory()) paths.push(path.join(entry.parentPath, entry.name));
    }
  }
  for (let at = 0; at < paths.length; at += 32) await Promise.all(paths.slice(at, at + 32).map(fsyncPath));
}

