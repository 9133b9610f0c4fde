import type { CoreErrorCode } from '@yoloops/core';
import { CoreError } from '@yoloops/core';
import type { ErrorRequestHandler } from 'express';

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

/** Renders every error as the S001 dialect `{detail, code}`; unknown errors are logged, never leaked. */
export function createErrorHandler(log: (message: string, error: unknown) => void): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    if (res.headersSent && (error as { code?: unknown } | null)?.code === 'ERR_STREAM_PREMATURE_CLOSE') {
      res.destroy(); // the client went away mid-download: nothing failed on our side, nothing to log
      return;
    }
    let status = 500;
    let body: Record<string, unknown> = { detail: 'Internal Server Error', code: 'internal_error' };
    if (error instanceof CoreError) {
      status = STATUS_BY_CODE[error.code];
      body = { detail: error.message, code: error.reason ?? error.code.toLowerCase() };
    } else if (error instanceof HttpError) {
      status = error.status;
      body = { detail: error.message, code: error.code, ...(error.errors ? { errors: error.errors } : {}) };
    } else if (typeof (error as BodyParserError)?.type === 'string' && (error as BodyParserError).status) {
      const e = error as BodyParserError;
      status = e.status ?? 400;
      body = { detail: e.type === 'entity.too.large' ? 'request body is too large' : `malformed request body: ${e.message ?? ''}`, code: e.type ?? 'bad_request' };
    } else {
      log(`${req.method} ${req.originalUrl} failed`, error);
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(status).json(body);
  };
}
