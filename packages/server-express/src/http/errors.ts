import type { CoreErrorCode } from '@yoloops/core';
import { CoreError } from '@yoloops/core';
import type { ErrorRequestHandler, Request } from 'express';
import { renderError, type Dialect, type ErrorBody } from './dialects.js';
import { requestIdOf } from './request-id.js';

/** The one place a core error code becomes an HTTP status. */
export const STATUS_BY_CODE: Record<CoreErrorCode, number> = {
  NOT_FOUND: 404,
  CONFLICT: 409,
  INVALID_INPUT: 400,
  INVALID_STATE: 409,
  UNSUPPORTED: 415,
  TOO_LARGE: 413,
  EXTERNAL_FAILURE: 503,
};

/** Error raised by the HTTP layer itself (bad path parameter, malformed body…). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string,
    readonly errors?: unknown[],
  ) {
    super(message);
  }
}

interface BodyParserError {
  type?: string;
  status?: number;
  message?: string;
}

/** Status, message and stable code of any error; unknown errors become a logged 500 that leaks nothing. */
function describeError(error: unknown, onUnknown: () => void): ErrorBody {
  if (error instanceof CoreError) {
    return { status: STATUS_BY_CODE[error.code], detail: error.message, code: error.reason ?? error.code.toLowerCase() };
  }
  if (error instanceof HttpError) return { status: error.status, detail: error.message, code: error.code, ...(error.errors ? { errors: error.errors } : {}) };
  const parser = error as BodyParserError | null;
  if (typeof parser?.type === 'string' && parser.status) {
    const tooLarge = parser.type === 'entity.too.large';
    return {
      status: parser.status,
      detail: tooLarge ? 'request body is too large' : `malformed request body: ${parser.message ?? ''}`,
      code: tooLarge ? 'body_too_large' : 'malformed_body',
    };
  }
  onUnknown();
  return { status: 500, detail: 'Internal Server Error', code: 'internal_error' };
}

/**
 * Renders every error in the dialect of its route family (`res.locals.dialect`, else `dialectOf(req)` for
 * errors raised before routing, e.g. a malformed JSON body); unknown errors are logged with the request
 * id (`X-Request-ID`, seed 003's `request_id`), never leaked.
 */
export function createErrorHandler(log: (message: string, error: unknown) => void, dialectOf: (req: Request) => Dialect): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    if (res.headersSent && (error as { code?: unknown } | null)?.code === 'ERR_STREAM_PREMATURE_CLOSE') {
      res.destroy(); // the client went away mid-download: nothing failed on our side, nothing to log
      return;
    }
    const requestId = requestIdOf(res);
    const described = describeError(error, () => log(`${req.method} ${req.originalUrl} failed (request_id ${requestId})`, error));
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const retryAfter = error instanceof CoreError ? error.details.retry_after_s : undefined;
    if (typeof retryAfter === 'number') res.setHeader('Retry-After', String(Math.ceil(retryAfter)));
    const { status, body } = renderError((res.locals.dialect as Dialect | undefined) ?? dialectOf(req), described, requestId);
    res.status(status).json(body);
  };
}
