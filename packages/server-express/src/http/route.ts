import type { Request, Response } from 'express';
import type { Readable } from 'node:stream';
import type { z } from 'zod';
import type { AppServices } from '../services.js';
import type { Dialect } from './dialects.js';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * Who may call a route (enforced by the auth middleware of `createApp`):
 * `public` anyone, always (`/health`, login…); `user` (default) a signed-in user — or anyone when auth is
 * off; `admin` an admin user (anyone when auth is off); `agent` a trainer agent's job-scoped token for
 * that job, or a user who may see the job; `notify-secret` the job-scoped secret in the route's path;
 * `worker` a worker token or an admin (anyone when auth is off).
 */
export type RouteAuth = 'public' | 'user' | 'admin' | 'agent' | 'notify-secret' | 'worker';

/** Rate-limit class of a route: training submissions, inference, login attempts, other API, or none. */
export type RateLimitClass = 'train' | 'infer' | 'login' | 'api' | 'none';

/** A file response (ZIP export…): streamed with a safe Content-Disposition. */
export interface StreamResult {
  kind: 'stream';
  contentType: string;
  filename: string;
  stream: Readable;
}

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** Default `application/json`. */
  contentType?: string;
}

export interface MultipartSpec {
  /** Name of the file field (`file` for single uploads, `files` for repeated ones). */
  fileField: string;
  /** The file field repeats (`files` of batch uploads). */
  repeated?: boolean;
  /** Other form fields, documented in the spec. */
  fields?: Record<string, { description: string; type: 'string' | 'number'; required?: boolean }>;
  description: string;
}

export interface RouteContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  req: Request;
  res: Response;
  services: AppServices;
}

/** One route, declared once: it registers the Express handler, validates input and feeds the OpenAPI document. */
export interface Route<P = unknown, Q = unknown, B = unknown> {
  method: HttpMethod;
  /** OpenAPI path template, e.g. `/datasets/{dataset_id}`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  /** Response envelope of the route's family (default `s001`). */
  dialect?: Dialect;
  /** Who may call it (default `user`). */
  auth?: RouteAuth;
  /** Rate-limit class (default `api`; `public` routes default to `none`). */
  rateLimit?: RateLimitClass;
  /** HTTP status of a success (default 200; 201 created, 202 accepted, 204 no content). */
  status?: 200 | 201 | 202 | 204;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /**
   * Checks the parsed JSON body instead of `body` (which then only documents it), for a family whose
   * origin's validators have their own messages and order (seed 003: `seed003Json(validateTrainRequest)`).
   */
  validateBody?: (raw: unknown, req: Request) => B;
  /** How `body` is sent: `json` (default) or `form` (`application/x-www-form-urlencoded`, e.g. the OAuth2 password form). */
  bodyType?: 'json' | 'form';
  multipart?: MultipartSpec;
  /** Largest JSON body of this route in bytes, enforced while reading (also for chunked bodies); default the app's. */
  jsonLimit?: number;
  responses: Record<number, ResponseSpec>;
  handler(ctx: RouteContext<P, Q, B>): Promise<unknown>;
}

/** Declares a route with its input types inferred from its schemas. */
export function defineRoute<P = undefined, Q = undefined, B = undefined>(route: Route<P, Q, B>): Route {
  return route as unknown as Route;
}
