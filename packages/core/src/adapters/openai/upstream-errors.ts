import { CoreError, NotFoundError, TooLargeError, ValidationError } from '../../errors.js';

/** Seconds a caller is told to wait when the upstream gave no `Retry-After` of its own. */
export const DEFAULT_RETRY_AFTER_S = 5;

const TIMEOUT_CODES: Record<string, string> = {
  UND_ERR_CONNECT_TIMEOUT: 'connecting',
  UND_ERR_HEADERS_TIMEOUT: 'waiting for its answer',
  UND_ERR_BODY_TIMEOUT: 'reading its answer',
};

const NETWORK_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed',
  UND_ERR_CLOSED: 'connection closed',
};

/** What the adapter was doing, for messages and the 404 rule. */
export interface UpstreamCallContext {
  url: string;
  /** The upstream model the call named (a 404 that names it is a NotFoundError). */
  model?: string;
}

/** A failure below HTTP (refused, reset, DNS, timeout) as EXTERNAL_FAILURE with a retry hint; an abort stays the abort. */
export function transportError(context: UpstreamCallContext, error: unknown, signal?: AbortSignal): unknown {
  if (signal?.aborted) return signal.reason;
  if (error instanceof CoreError) return error;
  const code = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : '';
  const details = { url: context.url, retry_after_s: DEFAULT_RETRY_AFTER_S, ...(code ? { errno: code } : {}) };
  const timeout = TIMEOUT_CODES[code];
  if (timeout !== undefined) {
    return new CoreError('EXTERNAL_FAILURE', `upstream ${context.url} timed out ${timeout}; retry shortly`, { reason: 'upstream_timeout', details, cause: error });
  }
  const what = NETWORK_WORDS[code] ?? (error instanceof Error ? error.message : String(error));
  return new CoreError('EXTERNAL_FAILURE', `upstream ${context.url} is unreachable (${what}); check that it runs and YOLOOPS_LLM_BASE_URL`, { reason: 'upstream_unavailable', details, cause: error });
}

/** Seconds of a `Retry-After` header (delta-seconds form), else the default. */
function retryAfterSeconds(header: string | string[] | undefined): number {
  const value = Number(Array.isArray(header) ? header[0] : header);
  return Number.isFinite(value) && value >= 0 ? Math.ceil(value) : DEFAULT_RETRY_AFTER_S;
}

/** An upstream HTTP error status as the CoreError the request deserves. */
export function statusError(context: UpstreamCallContext, status: number, message: string, retryAfter?: string | string[]): CoreError {
  const said = message.slice(0, 500);
  const details = { url: context.url, status };
  if (status === 404 && context.model !== undefined && (said.includes(context.model) || /model/i.test(said))) {
    return new NotFoundError(`upstream ${context.url} has no model "${context.model}": ${said}`, { reason: 'upstream_model_not_found', details: { ...details, model: context.model } });
  }
  if (status === 404) {
    return new CoreError('EXTERNAL_FAILURE', `upstream ${context.url} has no such route (HTTP 404)${said ? `: ${said}` : ''}; check YOLOOPS_LLM_BASE_URL`, { reason: 'upstream_route_missing', details });
  }
  if (status === 401 || status === 403) {
    return new CoreError('EXTERNAL_FAILURE', `upstream ${context.url} refused the request (HTTP ${status}): check the API key (YOLOOPS_LLM_API_KEY)`, { reason: 'upstream_auth', details });
  }
  if (status === 408 || status === 429 || status >= 500) {
    const busy = status === 429 || status === 503;
    return new CoreError('EXTERNAL_FAILURE', `upstream ${context.url} ${busy ? 'is busy' : 'failed'} (HTTP ${status})${said ? `: ${said}` : ''}; retry shortly`, {
      reason: busy ? 'upstream_busy' : 'upstream_error',
      details: { ...details, retry_after_s: retryAfterSeconds(retryAfter) },
    });
  }
  if (status === 413) return new TooLargeError(`upstream ${context.url} refused the request as too large${said ? `: ${said}` : ''}`, { reason: 'upstream_rejected', details });
  if (status >= 400) return new ValidationError(`upstream ${context.url} rejected the request (HTTP ${status})${said ? `: ${said}` : ''}`, { reason: 'upstream_rejected', details });
  return new CoreError('EXTERNAL_FAILURE', `upstream ${context.url} answered HTTP ${status} (redirects are not followed; check YOLOOPS_LLM_BASE_URL)`, { reason: 'upstream_error', details });
}

/** An answer that is not what the OpenAI wire format promises (bad JSON, wrong shape). */
export function badAnswer(context: UpstreamCallContext, problem: string, cause?: unknown): CoreError {
  return new CoreError('EXTERNAL_FAILURE', `upstream ${context.url} sent a malformed answer: ${problem}`, {
    reason: 'upstream_bad_response',
    details: { url: context.url, retry_after_s: DEFAULT_RETRY_AFTER_S },
    cause,
  });
}
