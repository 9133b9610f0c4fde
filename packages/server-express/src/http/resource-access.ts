import { NotFoundError, RESOURCE_ID_PATTERN, type ResourceEntry, type ResourceKind } from '@yoloops/core';
import type { Request, RequestHandler } from 'express';
import type { AppServices } from '../services.js';
import { HttpError } from './errors.js';
import { principalOf, seesEverything, type Principal } from './principal.js';
import type { RouteMiddleware } from './register-routes.js';

/** One resource a route names: its kind, where the reference is (path, query or JSON body) and under which name. */
export interface ResourceRef {
  kind: ResourceKind;
  in: 'path' | 'query' | 'body';
  name: string;
  /** The error of an unknown or hidden resource (default: the core's own `… not found` of the kind), so the two are never told apart. */
  notFound?: (ref: string) => Error;
}

/**
 * How a route's resources are checked: `refs`, by the access middleware before the handler; or by
 * the `handler` itself (seed 002 routes, multipart fields) or by the `auth` policy (agent and notify
 * routes), with a note saying how. Every route that takes an id has one (a test checks the route table).
 */
export type RouteResources = { refs: readonly ResourceRef[] } | { checkedBy: 'handler' | 'auth'; note: string };

type Access = Pick<AppServices, 'resources' | 'projects'>;

/** What `mayAccess` reads of a project: its owner. */
export interface ProjectOwners {
  get(id: number): Promise<{ owner_id: number | null } | undefined>;
}

/**
 * Whether the principal may see and use a resource: admins and `local` everything; a member what it
 * owns or what belongs to a project it owns (never what has no owner); an agent nothing here.
 */
export async function mayAccess(services: { projects: ProjectOwners }, p: Principal, entry: Pick<ResourceEntry, 'owner_id' | 'project_id'>): Promise<boolean> {
  if (seesEverything(p)) return true;
  if (p.kind !== 'user') return false;
  if (entry.owner_id === p.userId) return true;
  if (entry.project_id === null) return false;
  return (await services.projects.get(entry.project_id))?.owner_id === p.userId;
}

/** A reference that is a resource number (`1`…, at most 15 digits; a 32-hex seed 004 id stays an id). */
export const isResourceNumber = (ref: string): boolean => /^\d{1,15}$/.test(ref);

/**
 * The resource id a reference (number or id) stands for, when the principal may use it; `undefined`
 * when it is hidden from it or when a number is unknown. An id that admins and `local` name passes
 * through unchecked (the handler answers for a missing one); a member's must have an entry it may use.
 */
export async function resolveResource(services: Access, p: Principal, kind: ResourceKind, ref: string): Promise<string | undefined> {
  const isNumber = isResourceNumber(ref);
  if (!isNumber && seesEverything(p)) return ref;
  const entry = (isNumber ? await services.resources.byNumber(kind, Number(ref)) : undefined) ?? (await services.resources.get(kind, ref));
  if (!entry) return undefined;
  return (await mayAccess(services, p, entry)) ? entry.id : undefined;
}

const NOT_FOUND: Record<ResourceKind, (ref: string) => Error> = {
  dataset: () => new NotFoundError('Dataset not found'),
  model: () => new NotFoundError('Model not found'),
  job: () => new NotFoundError('Job not found', { reason: 'job_not_found' }),
  annotation_task: () => new NotFoundError('Task not found'),
  inference_session: () => new NotFoundError('Inference session not found'),
  task: () => new NotFoundError('Task not found'),
};

/** The error a route answers for an unknown or hidden resource of this reference. */
export const notFoundOf = (ref: ResourceRef, value: string): Error => (ref.notFound ?? NOT_FOUND[ref.kind])(value);

/** The reference's raw value in the request (JSON numbers read as their decimal text); undefined when absent or not an id (the route's validation names it). */
function readRef(req: Request, ref: ResourceRef): string | undefined {
  const source: unknown = ref.in === 'path' ? req.params : ref.in === 'query' ? req.query : req.body;
  const value = typeof source === 'object' && source !== null ? (source as Record<string, unknown>)[ref.name] : undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  return typeof value === 'string' && RESOURCE_ID_PATTERN.test(value) ? value : undefined;
}

/** Puts the resolved id where the handler reads the reference (Express 5 re-parses `req.query` on each read, so it is replaced). */
function writeRef(req: Request, ref: ResourceRef, id: string): void {
  if (ref.in === 'path') req.params[ref.name] = id;
  else if (ref.in === 'body') (req.body as Record<string, unknown>)[ref.name] = id;
  else Object.defineProperty(req, 'query', { value: { ...(req.query as Record<string, unknown>), [ref.name]: id }, configurable: true, enumerable: true, writable: true });
}

/**
 * Route middleware (after auth and rate limits): resolves each declared reference of a route — a
 * number becomes the resource's id — and answers the route's own 404 when the principal may not see
 * the resource, before the handler reads anything else. Routes without `refs` get nothing.
 * @example
 * registerRoutes(app, allRoutes, services, [auth.policy, rateLimits, createResourceAccess(services, ROUTE_RESOURCES)]);
 */
export function createResourceAccess(services: Access, table: Readonly<Record<string, RouteResources>>): RouteMiddleware {
  return (route) => {
    const declared = table[route.operationId];
    if (!declared || !('refs' in declared) || declared.refs.length === 0) return [];
    const refs = declared.refs;
    const check: RequestHandler = (req, res, next) => {
      const p = principalOf(res);
      (async () => {
        for (const ref of refs) {
          const raw = readRef(req, ref);
          if (raw === undefined) continue; // absent or malformed: the route's validation names it
          const id = await resolveResource(services, p, ref.kind, raw);
          if (id === undefined) throw notFoundOf(ref, raw);
          if (id !== raw) writeRef(req, ref, id);
        }
      })().then(() => next(), next);
    };
    return [check];
  };
}

const STATIC_AREAS: Record<string, ResourceKind> = { datasets: 'dataset', inference_results: 'inference_session' };

const decoded = (segment: string | undefined): string | undefined => {
  try {
    return segment === undefined ? undefined : decodeURIComponent(segment);
  } catch {
    return undefined; // the static handler answers the malformed path
  }
};

/**
 * `/static/` guard after the auth check: images under `datasets/<id>/` and `inference_results/<session_id>/`
 * are served only to whoever may see that dataset or session; another member gets the same 404 as a missing file.
 */
export function createStaticAccess(services: Access): RequestHandler {
  return (req, res, next) => {
    const p = principalOf(res);
    const [area, id] = (req.originalUrl.split('?')[0] ?? '').replace(/^\/static\//, '').split('/').map(decoded);
    const kind = area === undefined ? undefined : STATIC_AREAS[area];
    if (seesEverything(p) || kind === undefined || id === undefined || !RESOURCE_ID_PATTERN.test(id)) return next();
    resolveResource(services, p, kind, id).then((found) => next(found === id ? undefined : new HttpError(404, 'Not Found', 'not_found')), next);
  };
}
