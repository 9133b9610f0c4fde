import { DEFAULT_AGENT_COMMAND } from '@yoloops/core';
import { createNodePlatform, dispatchOptionsFromEnv, type NodePlatformOptions } from '@yoloops/core/node';
import { agentCliPath } from '@yoloops/trainer-agent';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import { authOffWarning, resolveAuthMode } from './auth/auth-mode.js';
import { createRedisRateLimitStores } from './http/rate-limit-stores.js';
import type { SecurityOptions } from './security-options.js';

export interface StartServerOptions extends NodePlatformOptions, SecurityOptions {
  port?: number;
  /** Address to listen on (default `127.0.0.1`, as uvicorn; `0.0.0.0` for every interface). */
  host?: string;
  /**
   * Base URL trainers reach this server at (`YOLOOPS_PUBLIC_URL`), when it is not the address it listens
   * on: a container, a proxy, trainers on other machines. Default: the address and port actually bound.
   */
  publicUrl?: string;
  /** Where the start-up warning about auth being off beyond loopback goes (default console.warn). */
  warn?: (message: string) => void;
}

export interface RunningServer {
  server: Server;
  /** Loopback URL of the bound port. */
  url: string;
  /** What trainer agents report to (`publicUrl`, else the bound address). */
  agentUrl: string;
  close(): Promise<void>;
}

const definedOnly = <T extends object>(values: T): Partial<T> =>
  Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>;

/** The URL a process on this machine reaches a server bound to `host`:`port` at (wildcards → loopback). */
export function reachableUrl(host: string, port: number): string {
  const name = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${name.includes(':') ? `[${name}]` : name}:${port}`;
}

/**
 * The trainer agent of this installation, started by its resolved path with this Node (never looked up
 * on PATH, where `npm ci` does not put it); falls back to the PATH name when the agent is not built.
 */
export function defaultAgentCommand(): string[] {
  const cli = agentCliPath();
  return cli === undefined ? [...DEFAULT_AGENT_COMMAND] : [process.execPath, cli, ...DEFAULT_AGENT_COMMAND.slice(1)];
}

/**
 * Binds the port first, then opens the platform on `dataDir` (SQLite + files) with trainer agents
 * reporting to the address really bound (or `publicUrl`), then serves the app; requests that arrive
 * while the platform opens get 503 + Retry-After. `close()` stops both.
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const authMode = resolveAuthMode(host, options.auth?.mode);
  const warning = authOffWarning(host, authMode);
  if (warning) (options.warn ?? console.warn)(warning);
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server = createServer((req, res) => {
    if (handler) return handler(req, res);
    res.writeHead(503, { 'retry-after': '1', 'content-type': 'application/json' }).end(JSON.stringify({ detail: 'the server is starting; try again in a moment', code: 'starting' }));
  });
  server.headersTimeout = 60_000;
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8000, host, () => (server.off('error', reject), resolve()));
  });
  const { port } = server.address() as AddressInfo;
  const url = reachableUrl('127.0.0.1', port);
  const agentUrl = (options.publicUrl ?? reachableUrl(host, port)).replace(/\/+$/, '');
  const closeHttp = () => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  let platform: Awaited<ReturnType<typeof createNodePlatform>>;
  try {
    const jobs = { agentCommand: defaultAgentCommand(), ...options.jobs, serverUrl: options.jobs?.serverUrl ?? agentUrl };
    const { jwtSecret, tokenTtlS, adminPassword } = options.auth ?? {};
    const accounts = { ...options.accounts, ...definedOnly({ jwtSecret, tokenTtlS, adminPassword }) };
    platform = await createNodePlatform({ ...options, jobs, accounts });
    if (authMode === 'required' && (await platform.accounts.count()) === 0) {
      await platform.close();
      throw new Error('YOLOOPS_AUTH=required, but there is no user yet, so nobody could log in: create the first admin with `yoloops users add NAME --admin`, or set YOLOOPS_ADMIN_PASSWORD for this first start');
    }
  } catch (error) {
    await closeHttp();
    throw error;
  }
  const auth = { mode: authMode, registration: options.auth?.registration ?? 'admin', ...definedOnly({ publicUrl: options.publicUrl }) };
  // With dispatch on Redis (YOLOOPS_REDIS_URL) every server behind the balancer shares each client's rate-limit counts there.
  const redisUrl = options.jobs?.dispatch === false ? undefined : (options.jobs?.dispatch ?? dispatchOptionsFromEnv())?.redisUrl;
  const rateLimitStores = redisUrl === undefined || options.rateLimits === false ? undefined : createRedisRateLimitStores({ url: redisUrl });
  await rateLimitStores?.ready(2000); // the first requests then count in Redis too (a Redis still away is waited for no longer)
  handler = createApp({ services: platform, auth, corsOrigins: options.corsOrigins, rateLimits: options.rateLimits, trustProxy: options.trustProxy, rateLimitStores });
  return {
    server,
    url,
    agentUrl,
    close: async () => {
      await closeHttp();
      await rateLimitStores?.close();
      await platform.close();
    },
  };
}
