import type { RequestHandler, Response } from 'express';
import { randomUUID } from 'node:crypto';

/** The response header that carries the request id (also in seed 003 error bodies and the error log line). */
export const REQUEST_ID_HEADER = 'X-Request-ID';

// What a proxy's or client's id may be made of: no spaces, control characters or quotes, so it can go
// into a header and a log line as is.
const SANE_ID = /^[A-Za-z0-9._:@+=-]{1,128}$/;

/** The one incoming `X-Request-ID` when it is sane (a proxy's or client's, for correlation), else undefined. */
function incomingId(rawHeaders: readonly string[]): string | undefined {
  const values: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) if (rawHeaders[i]?.toLowerCase() === 'x-request-id') values.push(rawHeaders[i + 1] ?? '');
  const only = values.length === 1 ? values[0]?.trim() : undefined;
  return only !== undefined && SANE_ID.test(only) ? only : undefined;
}

/**
 * Gives every request an id: a sane incoming `X-Request-ID` (1–128 of `A-Z a-z 0-9 . _ : @ + = -`), else
 * a new UUID v4; it is set as the response's `X-Request-ID` before anything answers.
 * @example
 * app.use(createRequestIdMiddleware());
 */
export function createRequestIdMiddleware(): RequestHandler {
  return (req, res, next) => {
    const id = incomingId(req.rawHeaders) ?? randomUUID();
    res.locals.requestId = id;
    res.setHeader(REQUEST_ID_HEADER, id);
    next();
  };
}

/** The request's id (a new one, also set as the header, for a response the middleware did not see). */
export function requestIdOf(res: Response): string {
  const known = (res.locals as { requestId?: unknown } | undefined)?.requestId;
  if (typeof known === 'string') return known;
  const id = randomUUID();
  if (res.locals) res.locals.requestId = id;
  if (!res.headersSent) res.setHeader(REQUEST_ID_HEADER, id);
  return id;
}
