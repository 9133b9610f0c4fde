import { randomUUID } from 'node:crypto';
import { z } from 'zod';

/**
 * The response envelope of a route family, so each seed's clients keep working:
 * `s001` plain JSON + `{detail, code}` errors; `s000` `{code, message, data}` with HTTP status = code;
 * `s002` plain JSON + FastAPI errors (`{detail: "…"}`; a 422 carries `detail: [{loc, msg, type}]`);
 * `s003` plain JSON + `{error: {code, message, details?}, timestamp, request_id}` errors (Flask origin);
 * `s004` `{success, code, msg, data}`, always HTTP 200 (its caller only checks for 2xx);
 * `s002+s003` the paths both seeds serve (`GET /api/v1/datasets`, `/api/v1/models`…): plain JSON, and
 * errors that carry both bodies (`detail`, `code` and `error`, `timestamp`, `request_id`) with seed 002's status.
 */
export type Dialect = 's001' | 's000' | 's002' | 's003' | 's004' | 's002+s003';

/** Dialects whose success body is the handler's value as is. */
export const PLAIN_DIALECTS: ReadonlySet<Dialect> = new Set(['s001', 's002', 's003', 's002+s003']);

const SEED003_CODES: Readonly<Record<number, string>> = {
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
  503: 'SERVICE_UNAVAILABLE',
};

/**
 * Seed 003's `error.code` for an HTTP status: its documented table (docs/api.md; the origin's code has no
 * 429 of its own), `INTERNAL_ERROR` for other 5xx, `INVALID_REQUEST` for other 4xx (400, 413…).
 */
export function seed003Code(status: number): string {
  return SEED003_CODES[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'INVALID_REQUEST');
}

export interface ErrorBody {
  status: number;
  detail: string;
  code: string;
  errors?: unknown[];
}

/** A success whose `msg` says more than `ok` (an s004 report acknowledged without a change…). */
export class ReplyWithMessage {
  constructor(
    readonly msg: string,
    readonly data: unknown,
  ) {}
}

/** Wraps a handler's result in the dialect's success envelope. */
export function wrapSuccess(dialect: Dialect, data: unknown): unknown {
  if (data instanceof ReplyWithMessage) {
    if (dialect === 's004') return { success: true, code: 200, msg: data.msg, data: data.data ?? '' };
    return wrapSuccess(dialect, data.data);
  }
  if (dialect === 's000') return { code: 200, message: 'success', data };
  if (dialect === 's004') return { success: true, code: 200, msg: 'ok', data: data ?? '' };
  return data;
}

/** HTTP status and body of an error in the dialect (`requestId` goes into seed 003's body; default a new one). */
export function renderError(dialect: Dialect, e: ErrorBody, requestId: string = randomUUID()): { status: number; body: unknown } {
  if (dialect === 's002+s003') {
    const s002 = renderError('s002', e).body as object;
    const s003 = renderError('s003', e, requestId).body as object;
    return { status: e.status, body: { ...s002, ...s003 } };
  }
  if (dialect === 's000') return { status: e.status, body: { code: e.status, message: e.detail, data: null, reason: e.code } };
  if (dialect === 's002') {
    // FastAPI: a request-validation 422 lists its errors in `detail`; every other error is `{detail: "…"}`.
    const detail = e.status === 422 && e.errors ? e.errors : e.detail;
    return { status: e.status, body: { detail, code: e.code } };
  }
  if (dialect === 's003') {
    // Seed 003 (Flask): validation is a 400 whose details list what is wrong.
    const status = e.status === 422 ? 400 : e.status;
    const error = { code: seed003Code(status), message: e.detail, reason: e.code, ...(e.errors ? { details: e.errors } : {}) };
    return { status, body: { error, timestamp: new Date().toISOString(), request_id: requestId } };
  }
  // s004 callers are Java-style: a body that fails validation is a 400 (bad parameter), not FastAPI's 422.
  if (dialect === 's004') return { status: 200, body: { success: false, code: e.status === 422 ? 400 : e.status, msg: e.detail, data: null, reason: e.code } };
  return { status: e.status, body: { detail: e.detail, code: e.code, ...(e.errors ? { errors: e.errors } : {}) } };
}

/** The OpenAPI schema of a success body in the dialect. */
export function wrapSchema(dialect: Dialect, schema: z.ZodType): z.ZodType {
  if (dialect === 's000') return z.object({ code: z.literal(200), message: z.string(), data: schema });
  if (dialect === 's004') return z.object({ success: z.literal(true), code: z.number().int(), msg: z.string(), data: schema });
  return schema;
}

/** Error body schemas per dialect, for the OpenAPI document. */
const Seed003ErrorObject = z.object({
  code: z.string().describe('INVALID_REQUEST, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, CONFLICT, UNSUPPORTED_MEDIA_TYPE, TOO_MANY_REQUESTS, INTERNAL_ERROR or SERVICE_UNAVAILABLE.'),
  message: z.string(),
  reason: z.string().optional().describe('Stable machine-readable reason (ours).'),
  details: z.array(z.unknown()).optional().describe('On a validation 400: the origin\'s Chinese messages, one per failing rule.'),
});

export const ERROR_SCHEMAS: Record<Exclude<Dialect, 's001'>, z.ZodType> = {
  s000: z.object({ code: z.number().int(), message: z.string(), data: z.null(), reason: z.string() }).meta({ id: 'Seed000Error' }),
  s002: z
    .object({
      detail: z.union([z.string(), z.array(z.object({ loc: z.array(z.string()), msg: z.string(), type: z.string() }))]).describe('What went wrong; a 422 lists each invalid field.'),
      code: z.string().describe('Stable machine-readable reason.'),
    })
    .meta({ id: 'Seed002Error' }),
  s003: z
    .object({
      error: Seed003ErrorObject,
      timestamp: z.string(),
      request_id: z.string().describe('Also the response\'s X-Request-ID header and the server\'s log line.'),
    })
    .meta({ id: 'Seed003Error' }),
  's002+s003': z
    .object({
      detail: z.union([z.string(), z.array(z.object({ loc: z.array(z.string()), msg: z.string(), type: z.string() }))]).describe('Seed 002 (FastAPI): what went wrong.'),
      code: z.string(),
      error: Seed003ErrorObject.describe('Seed 003: the same error in its envelope.'),
      timestamp: z.string(),
      request_id: z.string().describe('Also the response\'s X-Request-ID header.'),
    })
    .meta({ id: 'Seed002And003Error' }),
  s004: z.object({ success: z.literal(false), code: z.number().int(), msg: z.string(), data: z.null(), reason: z.string() }).meta({ id: 'Seed004Error' }),
};
