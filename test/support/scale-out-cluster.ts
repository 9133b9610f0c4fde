// Test support for the scale-out fault test (issue 12): `yoloops serve` and `yoloops worker` as real child
// processes (the CLI from source under tsx), and a round-robin TCP balancer in front of the servers.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './fixtures.js';
import { processesWith, waitFor } from './server-process.js';

const TSX = pathToFileURL(createRequire(path.join(REPO_ROOT, 'package.json')).resolve('tsx')).href;
const NODE_TSX = [process.execPath, '--conditions=source', '--import', TSX];
const YOLOOPS_CLI = path.join(REPO_ROOT, 'packages/server-express/src/cli.ts');
/** `yoloops-agent` from source, as a worker's `--agent-command`. */
export const AGENT_COMMAND = [...NODE_TSX, path.join(REPO_ROOT, 'packages/trainer-agent/src/cli.ts')];
const SCRIPTED_TRAINER = path.join(REPO_ROOT, 'packages/core/test/fixtures/scripted-trainer.mjs');
const KEYS = ['data={data}', 'model={model}', 'epochs={epochs}', 'imgsz={imgsz}', 'batch={batch}', 'project={project}', 'name={name}', 'exist_ok=True'];
/** The scripted trainer as `YOLOOPS_TRAINER_COMMAND` / `_RESUME_COMMAND` (JSON argv templates). */
export const TRAINER_ENV = {
  YOLOOPS_TRAINER_COMMAND: JSON.stringify([process.execPath, SCRIPTED_TRAINER, 'detect', 'train', ...KEYS]),
  YOLOOPS_TRAINER_RESUME_COMMAND: JSON.stringify([process.execPath, SCRIPTED_TRAINER, 'detect', 'train', 'resume', 'model={model}']),
};

/** A CLI child process in its own process group, with what it printed. */
export interface CliProcess {
  child: ChildProcess;
  output(): string;
  /** Sends `signal` to the process alone (`group`: to its whole process group) and waits for its exit. */
  kill(signal: NodeJS.Signals, group?: boolean): Promise<void>;
}

function startCli(args: string[], env: Record<string, string>): CliProcess {
  const child = spawn(NODE_TSX[0] as string, [...NODE_TSX.slice(1), YOLOOPS_CLI, ...args], {
    cwd: REPO_ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env },
  });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-40_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => output,
    async kill(signal, group = false) {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(group ? -(child.pid as number) : (child.pid as number), signal);
        } catch {
          // Already gone.
        }
      }
      await exited;
    },
  };
}

/** `yoloops serve` on 127.0.0.1:`port` with `env` (data root, database, Redis…); resolves once it listens. */
export async function startServe(port: number, env: Record<string, string>): Promise<CliProcess> {
  const server = startCli(['serve'], { ...env, PORT: String(port), HOST: '127.0.0.1' });
  const listening = waitFor(`yoloops serve on port ${port} to listen`, () => server.output(), (out) => out.includes('yoloops listening on'), 60_000);
  const exited = new Promise<never>((_, reject) => server.child.once('exit', () => reject(new Error(`yoloops serve exited before listening:\n${server.output()}`))));
  await Promise.race([listening, exited]).catch(async (error: unknown) => {
    await server.kill('SIGKILL', true);
    throw error;
  });
  return server;
}

/** `yoloops worker --id ID --work-dir DIR` on `server` and `redis`; resolves once it consumes its queues. */
export async function startWorker(options: { id: string; workDir: string; server: string; redis: string; env: Record<string, string> }): Promise<CliProcess> {
  const worker = startCli(['worker', '--server', options.server, '--redis', options.redis, '--id', options.id, '--work-dir', options.workDir,
    '--agent-command', JSON.stringify(AGENT_COMMAND)], options.env);
  await waitFor(`worker ${options.id} to start`, () => worker.output(), (out) => out.includes(`yoloops worker ${options.id}: consuming`) || worker.child.exitCode !== null, 60_000);
  if (worker.child.exitCode !== null) throw new Error(`worker ${options.id} exited:\n${worker.output()}`);
  return worker;
}

/** A round-robin TCP balancer: each connection goes to the next backend that accepts it. */
export interface Balancer {
  url: string;
  port: number;
  /** Connections each backend port took. */
  taken: Map<number, number>;
  /** Stops listening and drops every connection, as a machine that went away (new connections are refused). */
  cut(): Promise<void>;
  /** Listens again on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

interface Route {
  ports: readonly number[];
  host: string;
  taken: Map<number, number>;
  sockets: Set<Socket>;
}

function pipeTo(client: Socket, route: Route, first: number, tries = 0): void {
  if (tries >= route.ports.length) return void client.destroy();
  const port = route.ports[(first + tries) % route.ports.length] as number;
  const upstream = connect(port, route.host);
  route.sockets.add(upstream);
  upstream.once('close', () => route.sockets.delete(upstream));
  let connected = false;
  upstream.on('error', () => {
    upstream.destroy();
    if (connected) client.destroy();
    else if (!client.destroyed) pipeTo(client, route, first, tries + 1);
  });
  upstream.once('connect', () => {
    connected = true;
    route.taken.set(port, (route.taken.get(port) ?? 0) + 1);
    client.once('close', () => upstream.destroy());
    client.pipe(upstream).pipe(client);
  });
}

/** Starts the balancer on a free loopback port in front of `ports` on `host`. */
export async function startBalancer(ports: readonly number[], host = '127.0.0.1'): Promise<Balancer> {
  const route: Route = { ports, host, taken: new Map(), sockets: new Set() };
  let next = 0;
  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    route.sockets.add(client);
    client.once('close', () => route.sockets.delete(client));
    client.on('error', () => undefined);
    pipeTo(client, route, next++ % ports.length);
  });
  const listen = (at: number) => new Promise<void>((resolve) => server.listen(at, '127.0.0.1', resolve));
  const cut = () => new Promise<void>((resolve) => {
    server.close(() => resolve());
    for (const socket of route.sockets) socket.destroy();
  });
  await listen(0);
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, port, taken: route.taken, cut, restore: () => listen(port), close: cut };
}

/** Live scripted-trainer processes of `jobId` (the executor puts YOLOOPS_JOB_ID in their environment). */
export function trainersOf(jobId: string): number[] {
  return processesWith(`YOLOOPS_JOB_ID=${jobId}`).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0')[1]?.endsWith('scripted-trainer.mjs') === true; // not the agent naming it
    } catch {
      return false;
    }
  });
}

/** from..to inclusive. */
export const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Runs `read` again once when the connection itself failed (a killed server's socket), never on an HTTP error. */
export async function retried<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if ((error as { status?: unknown }).status !== undefined) throw error;
    await new Promise((resolve) => setTimeout(resolve, 100));
    return read();
  }
}

/** A request on a connection of its own (so the balancer spreads a burst over both servers): status and body. */
export function fresh(method: string, url: string, body?: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, agent: false, headers: body === undefined ? {} : { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** The epoch numbers of the scripted trainer's progress lines (`  7/16  0G …`) in log order. */
export const epochLines = (lines: readonly string[], total: number) =>
  lines.flatMap((line) => new RegExp(`(?:^|\\s)(\\d+)/${total}\\s+0G`).exec(line)?.[1] ?? []).map(Number);
