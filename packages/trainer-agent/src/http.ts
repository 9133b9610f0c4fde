import { openAsBlob } from 'node:fs';
import path from 'node:path';
import { Agent, FormData, request, type Dispatcher } from 'undici';
import { parseRetryAfter } from './backoff.js';

/**
 * What one send came to: stored (`acked`), refused for good (`rejected`: a 4xx other than 408/429, or
 * a 2xx whose `{success}` is false), or worth another try (`retry`: 408, 429, 5xx, network errors, a 2xx
 * envelope `{success:false}` whose `code` is 408, 429 or 5xx (seed 004 answers every error as HTTP 200), and
 * 3xx: redirects are never followed, so the token cannot leak to another host, and the events wait in
 * the outbox until the server URL is fixed).
 */
export type SendOutcome =
  | { kind: 'acked'; status: number; data?: object }
  | { kind: 'rejected'; status: number; message: string }
  | { kind: 'retry'; reason: string; retryAfterMs?: number };

/** The agent's only HTTP edge: JSON notifications and one multipart upload, over a keep-alive undici Agent. */
export interface AgentHttp {
  postJson(route: string, body: unknown, signal?: AbortSignal): Promise<SendOutcome>;
  /** POSTs (or PUTs) the files as repeated multipart field `file` (read from disk as they are sent, never buffered). */
  uploadFiles(route: string, files: readonly string[], signal?: AbortSignal, method?: 'POST' | 'PUT'): Promise<SendOutcome>;
  close(): Promise<void>;
}

/** Options of {@link createAgentHttp}. */
export interface AgentHttpOptions {
  serverUrl: string;
  token?: string;
  /** undici dispatcher to use instead of the agent's own keep-alive Agent (proxies, custom TLS). */
  dispatcher?: Dispatcher;
  /** Bound on waiting for response headers and between body chunks (default 30 s). */
  requestTimeoutMs?: number;
}

const MAX_RESPONSE_BYTES = 64 * 1024;

/** Builds the URL of `route` below `serverUrl`, keeping any path prefix the server URL has. */
export function routeUrl(serverUrl: string, route: string): URL {
  const base = serverUrl.endsWith('/') ? serverUrl : `${serverUrl}/`;
  return new URL(route.replace(/^\/+/, ''), base);
}

/** Classifies a response by status and seed 004's `{success,code,msg,data}` envelope. */
export function classifyResponse(status: number, body: string, retryAfter?: string | string[]): SendOutcome {
  const envelope = parseEnvelope(body);
  const message = envelope?.msg || body.slice(0, 200) || `HTTP ${status}`;
  if (status >= 200 && status < 300) {
    // The envelope's object `data` (e.g. the run-files route's `{stored:false}` for a stale attempt) goes to the caller.
    if (envelope?.success !== false) return { kind: 'acked', status, ...(typeof envelope?.data === 'object' && envelope.data !== null ? { data: envelope.data } : {}) };
    // A server error in the envelope (the database away…) is not the report's fault: it is sent again.
    if (retryable(envelope.code)) return { kind: 'retry', reason: `HTTP ${status} with code ${envelope.code}${envelope.msg ? ` ${envelope.msg}` : ''}` };
    return { kind: 'rejected', status, message };
  }
  if (status >= 300 && status < 400) return { kind: 'retry', reason: `HTTP ${status}: redirects are not followed; check the server URL` };
  if (retryable(status)) {
    const retryAfterMs = parseRetryAfter(retryAfter);
    return { kind: 'retry', reason: `HTTP ${status}${envelope?.msg ? ` ${envelope.msg}` : ''}`, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  }
  return { kind: 'rejected', status, message };
}

const retryable = (code: unknown) => typeof code === 'number' && (code === 408 || code === 429 || (code >= 500 && code < 600));

function parseEnvelope(body: string): { success?: unknown; code?: unknown; msg?: string; data?: unknown } | undefined {
  try {
    const value: unknown = JSON.parse(body);
    if (typeof value !== 'object' || value === null) return undefined;
    const { success, code, msg, data } = value as { success?: unknown; code?: unknown; msg?: unknown; data?: unknown };
    return { success, code, data, ...(typeof msg === 'string' ? { msg } : {}) };
  } catch {
    return undefined;
  }
}

async function readCapped(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= MAX_RESPONSE_BYTES) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BYTES).toString('utf8');
}

const describeError = (error: unknown) => {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return [typeof code === 'string' ? code : undefined, typeof message === 'string' ? message : String(error)].filter(Boolean).join(': ');
};

/** Creates the HTTP edge; the keep-alive Agent it creates (when none is given) is closed by `close()`. */
export function createAgentHttp(options: AgentHttpOptions): AgentHttp {
  const dispatcher = options.dispatcher ?? new Agent({ keepAliveTimeout: 10_000, connections: 4 });
  const timeout = options.requestTimeoutMs ?? 30_000;
  const auth: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};
  async function send(route: string, body: string | FormData, headers: Record<string, string>, signal?: AbortSignal, method: 'POST' | 'PUT' = 'POST'): Promise<SendOutcome> {
    try {
      const response = await request(routeUrl(options.serverUrl, route), {
        method, headers: { ...auth, ...headers }, body, dispatcher, signal, headersTimeout: timeout, bodyTimeout: timeout,
      });
      return classifyResponse(response.statusCode, await readCapped(response.body), response.headers['retry-after']);
    } catch (error) {
      return { kind: 'retry', reason: describeError(error) };
    }
  }
  return {
    postJson: (route, body, signal) => send(route, JSON.stringify(body), { 'content-type': 'application/json' }, signal),
    async uploadFiles(route, files, signal, method) {
      const form = new FormData();
      for (const file of files) form.append('file', await openAsBlob(file), path.basename(file));
      return send(route, form, {}, signal, method);
    },
    close: () => (options.dispatcher ? Promise.resolve() : dispatcher.close()),
  };
}
