import type { Request } from 'express';
import { HttpError } from '../http/errors.js';

/** The `error.message` of each seed 003 validation 400, as the origin's routes answer it. */
export const SEED003_INVALID = {
  train: 'Invalid training configuration',
  generate: 'Invalid generation request',
  generateBatch: 'Invalid batch generation request',
  datasetUpload: 'Invalid dataset upload request',
  datasetProcess: 'Invalid dataset process request',
} as const;

/** The origin's other error messages, for the services and routes that answer them. */
export const SEED003_MESSAGES = {
  trainingNotFound: 'Training task not found',
  modelNotFound: 'Model not found',
  /** Werkzeug's 415 description when `get_json()` meets another Content-Type. */
  jsonRequired: "Did not attempt to load JSON data because the request Content-Type was not 'application/json'.",
} as const;

/** Our one addition to the origin's rules: a body that is not a JSON object (the origin crashed, or listed every field as missing). */
export const NOT_AN_OBJECT = '请求体必须是一个 JSON 对象';

/**
 * A seed 003 request that fails the origin's validators: rendered by the s003 dialect as
 * 400 `{error: {code: "INVALID_REQUEST", message, details: [...]}, timestamp, request_id}`.
 */
export class Seed003RequestError extends HttpError {
  constructor(
    message: string,
    readonly details: string[],
  ) {
    super(400, message, 'invalid_request', details);
    this.name = 'Seed003RequestError';
  }
}

/** Throws the route's 400 when the validator found anything; the origin answers all of a request's errors at once. */
export function throwIfInvalid(message: string, details: string[]): void {
  if (details.length > 0) throw new Seed003RequestError(message, details);
}

/**
 * The JSON body of a seed 003 request: Flask 3.1's `request.get_json()` refuses a body whose
 * Content-Type is not `application/json` with a 415, before any validator runs.
 */
export function seed003JsonBody(req: Request): unknown {
  if (!req.is('application/json')) throw new HttpError(415, SEED003_MESSAGES.jsonRequired, 'unsupported_media_type');
  return req.body as unknown;
}

/**
 * A route's `validateBody` for a seed 003 JSON route: the 415 of `seed003JsonBody`, then `validate`.
 * @example
 * defineRoute({ method: 'post', path: '/api/v1/generate', dialect: 's003', validateBody: seed003Json(validateGenerateRequest), … })
 */
export function seed003Json<T>(validate: (body: unknown) => T): (raw: unknown, req: Request) => T {
  return (_raw, req) => validate(seed003JsonBody(req));
}
