import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Folder of the trainer-agent package. */
export const PACKAGE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = path.join(PACKAGE_DIR, 'src', 'cli.ts');
/** tsx's loader by absolute URL, so children started in any folder can run TypeScript. */
const TSX = pathToFileURL(path.join(PACKAGE_DIR, '..', '..', 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

/** A child process with its output collected as text. */
export interface Child {
  process: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code, or the signal that ended it. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs a TypeScript file (workspace packages resolved to source) or a JS file with Node. */
export function spawnNode(file: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Child {
  const loader = file.endsWith('.ts') ? ['--conditions=source', '--import', TSX] : [];
  const child = spawn(process.execPath, [...loader, file, ...args], {
    cwd: options.cwd ?? PACKAGE_DIR,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  return { process: child, stdout: () => out, stderr: () => err, exited };
}
