/**
 * The server as benches run it: the real CLI in a child process (so the load generator never shares its
 * event loop), and a closed-loop load phase over a keep-alive pool.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = path.join(REPO_ROOT, 'packages/server-express/src/cli.ts');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Settings that pick the server's stack: a bench names them itself, never inherits them from the shell that started it. */
const STACK_SETTINGS = ['YOLOOPS_DATABASE_URL', 'YOLOOPS_DATABASE_SCHEMA', 'YOLOOPS_DATABASE_POOL_MAX', 'YOLOOPS_REDIS_URL', 'YOLOOPS_WORKER_TIMEOUT_MS'];

/** This process's environment without the stack settings, plus `env`. */
export function childEnv(env: Record<string, string> = {}): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const name of STACK_SETTINGS) delete base[name];
  return { ...base, ...env };
}

/**
 * `yoloops serve` on a free loopback port over `dataDir`, once it answers /health; `env` is added to this
 * process's (whose database and Redis settings are dropped: SQLite and local trainers unless `env` says otherwise).
 */
export async function startServerChild(dataDir: string, env: Record<string, string> = {}): Promise<{ child: ChildProcess; origin: string; stderr: () => string }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', CLI, 'serve', '--port', String(port), '--host', '127.0.0.1', '--data', dataDir], {
    cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: childEnv(env),
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (output += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (output += c));
  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${output.slice(-2000)}`);
    try {
      const res = await fetch(`${origin}/health`);
      await res.arrayBuffer();
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`server did not answer /health within 60 s: ${output.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, origin, stderr: () => output };
}

export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export interface PhaseResult {
  requests: number;
  failures: number;
  firstFailure?: string;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  issued: number;
}

const percentile = (sorted: Float64Array, p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

/**
 * `clients` closed-loop clients over a keep-alive pool of as many connections: each sends its next
 * request as soon as the previous answer is read; `request` returns a failure text or undefined. Only
 * answers completed inside the measured window count.
 */
export async function runPhase(
  origin: string, clients: number, window: { warmupMs: number; measureMs: number }, request: (client: number, pool: Pool) => Promise<string | undefined>,
): Promise<PhaseResult> {
  const { warmupMs, measureMs } = window;
  const pool = new Pool(origin, { connections: clients, pipelining: 1, keepAliveTimeout: 60_000 });
  const latencies: number[] = [];
  let failures = 0;
  let issued = 0;
  let firstFailure: string | undefined;
  const start = performance.now();
  const measureFrom = start + warmupMs;
  const stopAt = measureFrom + measureMs;
  try {
    await Promise.all(
      Array.from({ length: clients }, async (_, client) => {
        while (performance.now() < stopAt) {
          const sent = performance.now();
          issued++;
          let failure: string | undefined;
          try {
            failure = await request(client, pool);
          } catch (error) {
            failure = error instanceof Error ? error.message : String(error);
          }
          const done = performance.now();
          if (failure !== undefined) {
            failures++;
            firstFailure ??= failure;
          }
          if (done >= measureFrom && done < stopAt) latencies.push(done - sent);
        }
      }),
    );
  } finally {
    await pool.close();
  }
  const sorted = Float64Array.from(latencies).sort();
  return {
    requests: sorted.length, failures, firstFailure, issued, rps: sorted.length / (measureMs / 1000),
    p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1]!,
  };
}
