import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseUploads, type Upload } from './multipart.js';

/** A notification the fake stored (the first time its eventId arrived). */
export interface StoredEvent {
  path: string;
  eventId: string;
  body: Record<string, unknown>;
}

/** What the fake does to a matching request instead of answering normally. */
export type Fault =
  | { kind: 'status'; status: number; retryAfter?: string; msg?: string }
  /** Destroys the connection before storing anything. */
  | { kind: 'drop' }
  /** Stores the event, then destroys the connection: the agent never sees the acknowledgement. */
  | { kind: 'lost-ack' };

interface Rule {
  fault: Fault;
  times: number;
  match: (body: Record<string, unknown>) => boolean;
}

/** Every request as seen: when, which event, and what it got. */
export interface RequestLog {
  at: number;
  path: string;
  eventId?: string;
  authorization?: string;
  answer: number | 'dropped' | 'lost-ack';
}

/** A real HTTP server on 127.0.0.1 playing the yoloops notify endpoints, with injectable faults. */
export interface FakeNotifyServer {
  readonly url: string;
  readonly port: number;
  readonly stored: StoredEvent[];
  readonly requests: RequestLog[];
  readonly uploads: Upload[];
  /** 2xx answers per eventId. */
  acks(eventId: string): number;
  /** Applies `fault` to the next `times` requests whose body passes `match` (default: all). */
  fail(fault: Fault, times?: number, match?: (body: Record<string, unknown>) => boolean): void;
  /** Forgets every pending fault. */
  clearFaults(): void;
  /** Answers the weights route with 404, as a server without it would. */
  weightsRoute: 'store' | 'missing';
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

const ok = { success: true, code: 0, msg: 'ok', data: '' };
const NOTIFY = new Set(['/api/model/train/notify/result', '/api/model/train/notify/status']);

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** What the fake remembers, shared by its request handlers. */
interface FakeState {
  stored: StoredEvent[];
  requests: RequestLog[];
  uploads: Upload[];
  rules: Rule[];
  ackCount: Map<string, number>;
  weightsRoute(): FakeNotifyServer['weightsRoute'];
}

/** Stores each eventId once and answers 200 every time, unless a fault rule matches first. */
function handleNotify(state: FakeState, req: IncomingMessage, res: ServerResponse, raw: Buffer): void {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
  } catch {
    return send(res, 400, { success: false, code: 400, msg: 'malformed JSON', data: '' });
  }
  const eventId = String(body.eventId);
  const rule = state.rules.find((candidate) => candidate.times > 0 && candidate.match(body));
  if (rule) rule.times -= 1;
  const authorization = req.headers.authorization;
  const log = (answer: RequestLog['answer']) => state.requests.push({ at: Date.now(), path, eventId, answer, ...(authorization ? { authorization } : {}) });
  if (rule?.fault.kind === 'drop') return void (log('dropped'), req.socket.destroy());
  if (rule?.fault.kind === 'status') {
    const { status, retryAfter, msg } = rule.fault;
    log(status);
    return send(res, status, { success: false, code: status, msg: msg ?? `injected ${status}`, data: '' }, retryAfter ? { 'retry-after': retryAfter } : {});
  }
  if (!state.stored.some((event) => event.eventId === eventId)) state.stored.push({ path, eventId, body });
  if (rule?.fault.kind === 'lost-ack') return void (log('lost-ack'), req.socket.destroy());
  log(200);
  state.ackCount.set(eventId, (state.ackCount.get(eventId) ?? 0) + 1);
  send(res, 200, ok);
}

function route(state: FakeState, req: IncomingMessage, res: ServerResponse, raw: Buffer): void {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  if (req.method === 'POST' && NOTIFY.has(path)) return handleNotify(state, req, res, raw);
  const weights = /^\/api\/agent\/tasks\/([^/]+)\/weights$/.exec(path);
  if (req.method === 'POST' && weights && state.weightsRoute() === 'store') {
    const taskId = decodeURIComponent(weights[1] ?? '');
    return void parseUploads(req.headers['content-type'] ?? '', raw).then(
      (files) => (state.uploads.push(...files.map((file) => ({ taskId, ...file }))), send(res, 200, ok)),
      (error: Error) => send(res, 400, { success: false, code: 400, msg: `malformed multipart: ${error.message}`, data: '' }),
    );
  }
  send(res, 404, { success: false, code: 404, msg: 'Not Found', data: '' });
}

/** Starts the fake on an ephemeral port. */
export async function startFakeNotifyServer(): Promise<FakeNotifyServer> {
  const state: FakeState = { stored: [], requests: [], uploads: [], rules: [], ackCount: new Map(), weightsRoute: () => fake.weightsRoute };
  const server = createServer((req, res) => void readBody(req).then((raw) => route(state, req, res, raw)));
  const listen = (port: number) => new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => (server.off('error', reject), resolve()));
  });
  await listen(0);
  const port = (server.address() as AddressInfo).port;
  const fake: FakeNotifyServer = {
    url: `http://127.0.0.1:${port}`,
    port,
    stored: state.stored,
    requests: state.requests,
    uploads: state.uploads,
    weightsRoute: 'store',
    acks: (eventId) => state.ackCount.get(eventId) ?? 0,
    fail: (fault, times = 1, match = () => true) => void state.rules.push({ fault, times, match }),
    clearFaults: () => void state.rules.splice(0),
    stop: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
    start: () => listen(port),
  };
  return fake;
}
