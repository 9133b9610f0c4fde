// Test support: a real redis-server of the test's own (Debian's redis-server on PATH), on a free loopback port.
import { execa, type ResultPromise } from 'execa';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A free TCP port on 127.0.0.1 (bound once, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Whether `redis-server` can be run from PATH. */
export function redisServerAvailable(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * True when the Redis tests should be skipped: redis-server is missing and this is not CI (a message says so).
 * With `CI=true` a missing redis-server is an error, so CI never passes by skipping.
 * @example describe.skipIf(skipWithoutRedisServer())('bullmq dispatch', () => { … });
 */
export function skipWithoutRedisServer(): boolean {
  if (redisServerAvailable()) return false;
  const message = 'redis-server is not installed (apt-get install redis-server): the *.redis.test.ts tests need it';
  if (process.env.CI === 'true') throw new Error(`${message}; CI=true, so this fails instead of skipping`);
  console.warn(`skipped: ${message}`);
  return true;
}

/** One redis-server process on its own port and folder. */
export interface TestRedis {
  url: string;
  port: number;
  /** Starts it again on the same port (after `stop()` or `kill()`). */
  start(): Promise<void>;
  /** A clean shutdown (SIGTERM): with `persist` the data is written first. */
  stop(): Promise<void>;
  /** A crash (SIGKILL): only what persistence already wrote survives. */
  kill(): Promise<void>;
  /** `stop()` then `start()` on the same port. */
  restart(): Promise<void>;
  /** Stops it and removes its folder. */
  close(): Promise<void>;
}

/** One `PING` over TCP; resolves whether `+PONG` came back. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (ok: boolean) => (socket.destroy(), resolve(ok));
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

async function waitForPing(port: number, child: ResultPromise): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await ping(port))) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PING within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Starts redis-server on a free loopback port in a temp folder: no persistence (`--save '' --appendonly no`),
 * or with `persist` an append-only file synced on every write. Fails naming redis-server when it is not installed.
 * @example const redis = await startTestRedis(); afterAll(() => redis.close());
 */
export async function startTestRedis(options: { persist?: boolean } = {}): Promise<TestRedis> {
  const dir = mkdtempSync(path.join(tmpdir(), 'yoloops-redis-'));
  const port = await freePort();
  const persistence = options.persist ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--save', '', '--appendonly', 'no'];
  let child: ResultPromise | undefined;
  const start = async () => {
    child = execa('redis-server', ['--port', String(port), '--bind', '127.0.0.1', ...persistence, '--dir', dir], { reject: false, stdio: 'ignore' });
    const started = child;
    started.catch(() => undefined);
    await waitForPing(port, started).catch((error: unknown) => {
      started.kill('SIGKILL');
      throw new Error(`could not start redis-server (apt-get install redis-server): ${(error as Error).message}`);
    });
  };
  const end = async (signal: 'SIGTERM' | 'SIGKILL') => {
    child?.kill(signal);
    await child;
    child = undefined;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`, port, start,
    stop: () => end('SIGTERM'),
    kill: () => end('SIGKILL'),
    async restart() {
      await end('SIGTERM');
      await start();
    },
    async close() {
      await end('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
