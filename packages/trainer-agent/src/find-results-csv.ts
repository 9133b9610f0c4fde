import { existsSync, type Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/** Where {@link findResultsCsv} looks. */
export interface FindResultsOptions {
  /** When given, only `<runDir>/results.csv` is considered. */
  runDir?: string;
  /** Folder searched (breadth-first) when there is no run dir. */
  searchRoot: string;
  /** Files last written before this instant (minus 2 s of clock slack) belong to earlier runs. */
  startedAt: number;
  maxDepth?: number;
  maxEntries?: number;
}

const SKIP = new Set(['node_modules', '__pycache__', 'site-packages']);

/**
 * The run's `results.csv`: `<runDir>/results.csv` once it exists, or else the newest `results.csv`
 * below `searchRoot` written after `startedAt`. The search is bounded (depth 6, 10 000 entries) and
 * skips hidden folders and `node_modules`, so polling it stays cheap. Undefined while none exists.
 */
export async function findResultsCsv(options: FindResultsOptions): Promise<string | undefined> {
  if (options.runDir !== undefined) {
    const file = path.join(options.runDir, 'results.csv');
    return existsSync(file) ? file : undefined;
  }
  let best: { file: string; mtimeMs: number } | undefined;
  let budget = options.maxEntries ?? 10_000;
  let level = [options.searchRoot];
  for (let depth = 0; depth <= (options.maxDepth ?? 6) && level.length > 0 && budget > 0; depth++) {
    const next: string[] = [];
    for (const dir of level) {
      const entries = await readdir(dir, { withFileTypes: true }).catch((): Dirent[] => []);
      budget -= entries.length;
      for (const entry of entries) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory() && !entry.name.startsWith('.') && !SKIP.has(entry.name)) next.push(full);
        if (!entry.isFile() || entry.name !== 'results.csv') continue;
        const info = await stat(full).catch(() => undefined);
        if (info && info.mtimeMs >= options.startedAt - 2000 && (!best || info.mtimeMs > best.mtimeMs)) best = { file: full, mtimeMs: info.mtimeMs };
      }
      if (budget <= 0) break;
    }
    level = next;
  }
  return best?.file;
}
