import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './fixtures.js';

const SCRIPT = path.join(REPO_ROOT, 'test/support/scripted-server.ts');
const TSX_LOADER = pathToFileURL(createRequire(path.join(REPO_ROOT, 'package.json')).resolve('tsx')).href;

/** Polls `read` every 50 ms until `done` holds; throws with the last value after `timeoutMs`. */
export async function waitFor<T>(what: string, read: () => Promise<T> | T, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A loopback port that was free a moment ago (the server is restarted on it, so it cannot be 0). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** A server child process (own process group) and what it printed, for failure messages. */
export interface ServerProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  /** Sends `signal` to the server's process group and waits until the server has exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

/**
 * Starts `test/support/scripted-server.ts` as a separate process on `port` and `dataDir`, with `env`
 * added to its environment (inherited by the agents and trainers it spawns); resolves once it listens.
 */
export async function startServerProcess(options: { port: number; dataDir: string; env: Record<string, string>; timeoutMs?: number }): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', TSX_LOADER, SCRIPT], {
    cwd: REPO_ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env, PORT: String(options.port), YOLOOPS_DATA_DIR: options.dataDir },
  });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-(child.pid as number), signal);
      } catch {
        // Already gone.
      }
    }
    await exited;
  };
  const url = await Promise.race([
    waitFor('the server to listen', () => /LISTENING (\S+)/.exec(output)?.[1], (found) => found !== undefined, options.timeoutMs ?? 30_000),
    exited.then(() => {
      throw new Error(`the server process exited before listening:\n${output}`);
    }),
  ]).catch(async (error: unknown) => {
    await kill('SIGKILL');
    throw error;
  });
  return { url: url as string, child, output: () => output, kill };
}

/** Live (non-zombie) pids whose environment holds `marker` (`NAME=value`). */
export function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (/\) [ZX] /.test(readFileSync(`/proc/${name}/stat`, 'latin1'))) continue;
      if (readFileSync(`/proc/${name}/environ`, 'latin1').split('\0').includes(marker)) pids.push(Number(name));
    } catch {
      // Gone while we looked, or not ours to read.
    }
  }
  return pids;
}

/** SIGKILLs the process group of every live process whose environment holds `marker`. */
export function killProcessGroupsWith(marker: string): void {
  for (const pid of processesWith(marker)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
  }
}
