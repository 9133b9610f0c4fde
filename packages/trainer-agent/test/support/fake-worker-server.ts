import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the fake saw, with its JSON body when it had one. */
export interface SeenRequest {
  method: string;
  path: string;
  body: unknown;
  authorization?: string;
}

/** How the fake answers a claim: a work order (200), or a refusal, or a transient failure. */
export type ClaimAnswer = { status: 200; order: Record<string, unknown> } | { status: number; body?: unknown };

/** A real HTTP server on 127.0.0.1 speaking the worker protocol of the design (claims, heartbeat, exit, downloads) and accepting agent reports. */
export interface FakeWorkerServer {
  readonly url: string;
  readonly requests: SeenRequest[];
  /** Answers for the next claims, in order (when empty: 409 not_queued). */
  claims: ClaimAnswer[];
  /** Files served on GET by path (e.g. the dataset ZIP); `status` instead of the bytes answers that status once per entry. */
  files: Map<string, Buffer | { status: number }[]>;
  /** Cancels the next heartbeat answers carry (taken once). */
  cancels: { job_id: string; attempt: number; reason: 'stopped' | 'superseded' | 'deleted' }[];
  heartbeatMs: number;
  timeoutMs: number;
  /** Bodies of the exits received. */
  exits(): { path: string; body: Record<string, unknown> }[];
  /** Bodies of the agent's status and result notifications. */
  notifications(): Record<string, unknown>[];
  stop(): Promise<void>;
  /** Listens again on the same port (after `stop()`). */
  start(): Promise<void>;
}

const send = (res: ServerResponse, status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!(req.headers['content-type'] ?? '').includes('json')) return text.length;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Starts the fake on a free loopback port. */
export async function startFakeWorkerServer(): Promise<FakeWorkerServer> {
  const requests: SeenRequest[] = [];
  const fake = {
    claims: [] as ClaimAnswer[], files: new Map<string, Buffer | { status: number }[]>(), cancels: [] as FakeWorkerServer['cancels'], heartbeatMs: 100, timeoutMs: 1000,
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const body = await readBody(req);
    requests.push({ method: req.method ?? '', path: url.pathname + url.search, body, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
    if (req.method === 'GET') {
      const failures = fake.files.get(url.pathname + url.search);
      if (Array.isArray(failures) && failures.length > 0) return send(res, failures.shift()?.status ?? 500, { detail: 'scripted failure' });
      const file = Buffer.isBuffer(failures) ? failures : fake.files.get(url.pathname);
      if (Buffer.isBuffer(file)) return res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(file);
      return send(res, 404, { detail: 'no such file' });
    }
    if (/^\/api\/workers\/[^/]+\/claims$/.test(url.pathname)) {
      const answer = fake.claims.shift() ?? { status: 409, body: { reason: 'not_queued' } };
      return send(res, answer.status, 'order' in answer ? answer.order : (answer.body ?? {}));
    }
    if (/^\/api\/workers\/[^/]+\/heartbeat$/.test(url.pathname)) return send(res, 200, { cancel: fake.cancels.splice(0), heartbeat_ms: fake.heartbeatMs, timeout_ms: fake.timeoutMs });
    if (/^\/api\/workers\/[^/]+\/jobs\/[^/]+\/exit$/.test(url.pathname)) return send(res, 200, { stored: true, status: 'completed' });
    return send(res, 200, { success: true, code: 0, msg: 'ok', data: '' });
  };
  const server = createServer((req, res) => void handle(req, res).catch(() => res.destroy()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const start = () => new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => (server.off('error', reject), resolve()));
  });
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}`,
    requests,
    exits: () => requests.filter((r) => /\/exit$/.test(r.path)).map((r) => ({ path: r.path, body: r.body as Record<string, unknown> })),
    notifications: () => requests.filter((r) => r.path.startsWith('/api/model/train/notify/')).map((r) => r.body as Record<string, unknown>),
    stop: () => new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
    start,
  });
}
