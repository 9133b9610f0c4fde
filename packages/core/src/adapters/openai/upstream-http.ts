import { Pool, type Dispatcher } from 'undici';
import { CoreError } from '../../errors.js';
import { badAnswer, statusError, transportError, type UpstreamCallContext } from './upstream-errors.js';
import type { UpstreamEndpoint } from './upstream-endpoint.js';
import { upstreamErrorMessage } from './upstream-wire.schema.js';

/** Connection and admission settings of the upstream's HTTP edge. */
export interface UpstreamHttpOptions {
  endpoint: UpstreamEndpoint;
  /** Sent as `Authorization: Bearer …`; never logged nor put in a message. */
  apiKey?: string;
  connectTimeoutMs: number;
  /** Bound on waiting for the answer's headers and on each pause between body chunks. */
  timeoutMs: number;
  /** Largest answer body read (a whole JSON answer, or the bytes between two stream events). */
  maxResponseBytes: number;
  /** Requests on the wire at once (pool connections); more wait in the pool's queue. */
  maxConcurrentRequests: number;
  /** Requests waiting beyond those; one more is refused as busy (503 + Retry-After). */
  maxQueuedRequests: number;
}

/** One request to the upstream: `path` is absolute below the origin. */
export interface UpstreamCall {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  signal?: AbortSignal;
  /** The model the call is about (turns a 404 naming it into a NotFoundError). */
  model?: string;
}

/** An open 2xx answer whose body the caller reads; `release` frees its admission slot (idempotent). */
export interface OpenAnswer {
  body: Dispatcher.ResponseData['body'];
  headers: Dispatcher.ResponseData['headers'];
  context: UpstreamCallContext;
  release(): void;
}

/** The adapter's only HTTP edge: a keep-alive undici Pool to one origin with timeouts, caps and admission. */
export interface UpstreamHttp {
  readonly url: string;
  /** Parsed JSON of a 2xx answer; any other outcome is the mapped CoreError. */
  json(call: UpstreamCall): Promise<unknown>;
  /** A 2xx answer left open for streaming. */
  open(call: UpstreamCall): Promise<OpenAnswer>;
  close(): Promise<void>;
}

/** Creates the pool; nothing connects before the first request. */
export function createUpstreamHttp(options: UpstreamHttpOptions): UpstreamHttp {
  const { endpoint, maxResponseBytes } = options;
  const pool = new Pool(endpoint.origin, {
    connections: options.maxConcurrentRequests,
    connect: { timeout: options.connectTimeoutMs },
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    keepAliveTimeout: 30_000,
  });
  const headers: Record<string, string> = { accept: 'application/json, text/event-stream', 'content-type': 'application/json' };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
  const capacity = options.maxConcurrentRequests + options.maxQueuedRequests;
  let admitted = 0;

  function admit(): () => void {
    if (admitted >= capacity) {
      throw new CoreError('EXTERNAL_FAILURE', `upstream ${endpoint.url} is busy (${capacity} requests running or waiting); retry shortly`, { reason: 'busy', details: { url: endpoint.url, retry_after_s: 1 } });
    }
    admitted++;
    let released = false;
    return () => {
      if (!released) admitted--;
      released = true;
    };
  }

  async function open(call: UpstreamCall): Promise<OpenAnswer> {
    const context: UpstreamCallContext = { url: endpoint.url, ...(call.model === undefined ? {} : { model: call.model }) };
    const release = admit();
    try {
      const answer = await pool.request({
        method: call.method,
        path: call.path,
        headers,
        ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
        ...(call.signal === undefined ? {} : { signal: call.signal }),
      });
      if (answer.statusCode < 200 || answer.statusCode >= 300) {
        const text = (await readCapped(answer, maxResponseBytes, context, call.signal)).toString('utf8');
        throw statusError(context, answer.statusCode, errorText(text), answer.headers['retry-after']);
      }
      return { body: answer.body, headers: answer.headers, context, release };
    } catch (error) {
      release();
      throw transportError(context, error, call.signal);
    }
  }

  return {
    url: endpoint.url,
    open,
    async json(call) {
      const answer = await open(call);
      try {
        const text = (await readCapped(answer, maxResponseBytes, answer.context, call.signal)).toString('utf8');
        try {
          return JSON.parse(text) as unknown;
        } catch (error) {
          throw badAnswer(answer.context, `${call.path} did not answer JSON (${text.length === 0 ? 'empty body' : JSON.stringify(text.slice(0, 80))})`, error);
        }
      } catch (error) {
        throw transportError(answer.context, error, call.signal);
      } finally {
        answer.release();
      }
    },
    async close() {
      await pool.close();
    },
  };
}

/** The upstream's own error message when its body is JSON, else the body's start. */
function errorText(text: string): string {
  try {
    return upstreamErrorMessage(JSON.parse(text)) ?? text.slice(0, 200);
  } catch {
    return text.slice(0, 200);
  }
}

/** Reads a body to its end, refusing one past `cap` bytes (by `content-length` first, then as it arrives). */
async function readCapped(
  answer: Pick<Dispatcher.ResponseData, 'body' | 'headers'>,
  cap: number,
  context: UpstreamCallContext,
  signal?: AbortSignal,
): Promise<Buffer> {
  const tooLarge = () =>
    new CoreError('EXTERNAL_FAILURE', `upstream ${context.url} sent an answer over ${cap} bytes (YOLOOPS_LLM_MAX_RESPONSE_BYTES)`, {
      reason: 'upstream_too_large',
      details: { url: context.url, max_bytes: cap },
    });
  const declared = Number(answer.headers['content-length']);
  if (Number.isFinite(declared) && declared > cap) {
    answer.body.destroy();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of answer.body as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > cap) throw tooLarge();
      chunks.push(chunk);
    }
  } catch (error) {
    answer.body.destroy();
    throw transportError(context, error, signal);
  }
  return Buffer.concat(chunks);
}
