import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { CoreError, TooLargeError, ValidationError } from '@yoloops/core';
import { Agent, request, type Dispatcher } from 'undici';
import { routeUrl } from '../http.js';

/** A response of the server: its status and its JSON body (undefined when it was none). */
export interface WorkerResponse {
  status: number;
  body: unknown;
}

/** The worker's HTTP edge: JSON posts and streamed downloads below the server URL, with the worker token. */
export interface WorkerHttp {
  /** POSTs `body` as JSON; rejects (`EXTERNAL_FAILURE`, reason `unreachable`) when no response came. */
  post(route: string, body: unknown, signal?: AbortSignal): Promise<WorkerResponse>;
  /**
   * GETs `route` into `file` as it arrives; rejects with `TooLargeError` past `maxBytes`, `CoreError`
   * reason `http_status` (details.status) for a non-2xx answer, `unreachable` for a network failure.
   */
  download(route: string, file: string, maxBytes: number, signal?: AbortSignal): Promise<number>;
  close(): Promise<void>;
}

/** Options of {@link createWorkerHttp}. */
export interface WorkerHttpOptions {
  serverUrl: string;
  token?: string;
  dispatcher?: Dispatcher;
  /** Bound on waiting for headers and between body chunks (default 30 s). */
  requestTimeoutMs?: number;
}

const MAX_JSON_BYTES = 1024 * 1024;

/** Whether an answer is worth another try: 408, 429 and 5xx. */
export const retryableStatus = (status: number): boolean => status === 408 || status === 429 || status >= 500;

const unreachable = (url: URL, error: unknown) =>
  new CoreError('EXTERNAL_FAILURE', `server not reachable (${url.origin}): ${(error as Error).message}`, { reason: 'unreachable', cause: error });

/** The URL of a route the server handed out, refused when it points at another origin (the token must not leave). */
export function serverRoute(serverUrl: string, route: string): URL {
  const url = routeUrl(serverUrl, route);
  if (url.origin !== new URL(serverUrl).origin) throw new ValidationError(`the server handed out a URL on another origin (${url.origin}); refused`, { reason: 'foreign_url' });
  return url;
}

async function readJson(body: Dispatcher.ResponseData['body']): Promise<unknown> {
  let text = '';
  for await (const chunk of body as AsyncIterable<Buffer>) {
    text += chunk.toString('utf8');
    if (text.length > MAX_JSON_BYTES) {
      body.destroy();
      return undefined;
    }
  }
  try {
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  } catch {
    return undefined;
  }
}

function byteCap(maxBytes: number, what: string): Transform & { seen: number } {
  const cap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      cap.seen += chunk.length;
      if (cap.seen > maxBytes) return done(new TooLargeError(`${what} is over the ${maxBytes}-byte limit`, { reason: 'download_too_large', details: { limit: maxBytes } }));
      done(null, chunk);
    },
  }) as Transform & { seen: number };
  cap.seen = 0;
  return cap;
}

/** Creates the worker's HTTP edge; the keep-alive Agent it creates (when none is given) is closed by `close()`. */
export function createWorkerHttp(options: WorkerHttpOptions): WorkerHttp {
  const dispatcher = options.dispatcher ?? new Agent({ keepAliveTimeout: 10_000, connections: 8 });
  const timeout = options.requestTimeoutMs ?? 30_000;
  const auth: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};
  const common = { dispatcher, headersTimeout: timeout, bodyTimeout: timeout } as const;
  return {
    async post(route, body, signal) {
      const url = serverRoute(options.serverUrl, route);
      const response = await request(url, { ...common, method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body), signal })
        .catch((error: unknown) => Promise.reject(unreachable(url, error)));
      return { status: response.statusCode, body: await readJson(response.body).catch(() => undefined) };
    },
    async download(route, file, maxBytes, signal) {
      const url = serverRoute(options.serverUrl, route);
      const response = await request(url, { ...common, method: 'GET', headers: auth, signal }).catch((error: unknown) => Promise.reject(unreachable(url, error)));
      if (response.statusCode < 200 || response.statusCode >= 300) {
        const answer = await readJson(response.body).catch(() => undefined);
        throw new CoreError('EXTERNAL_FAILURE', `GET ${url.pathname} answered HTTP ${response.statusCode}${describe(answer)}`, { reason: 'http_status', details: { status: response.statusCode } });
      }
      const declared = Number(response.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBytes) {
        response.body.destroy();
        throw new TooLargeError(`GET ${url.pathname} declares ${declared} bytes, over the ${maxBytes}-byte limit`, { reason: 'download_too_large', details: { limit: maxBytes } });
      }
      const cap = byteCap(maxBytes, `GET ${url.pathname}`);
      await pipeline(response.body, cap, createWriteStream(file, { flags: 'wx' })).catch((error: unknown) => Promise.reject(error instanceof CoreError ? error : unreachable(url, error)));
      return cap.seen;
    },
    close: () => (options.dispatcher ? Promise.resolve() : dispatcher.close()),
  };
}

function describe(answer: unknown): string {
  if (typeof answer !== 'object' || answer === null) return '';
  const { detail, message, title } = answer as Record<string, unknown>;
  const text = [detail, message, title].find((value) => typeof value === 'string');
  return typeof text === 'string' ? `: ${text.slice(0, 200)}` : '';
}
