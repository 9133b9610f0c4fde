import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Absolute path of this package's built `yoloops-agent` CLI (`dist/cli.js`), so a server can start the
 * agent as `node <path> run …` without it being on PATH. Both `src/` and `dist/` sit one level below the
 * package root, so the path is the same from source and from the build; undefined until it is built.
 * @example const cli = agentCliPath(); if (cli) spawn(process.execPath, [cli, 'run', ...args]);
 */
export function agentCliPath(): string | undefined {
  const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
  return existsSync(cli) ? cli : undefined;
}
