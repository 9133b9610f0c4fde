import type { Express, Request, RequestHandler, Response } from 'express';
import { pipeline } from 'node:stream/promises';
import type { z } from 'zod';
import type { AppServices } from '../services.js';
import { wrapSuccess, type Dialect } from './dialects.js';
import { HttpError } from './errors.js';
import type { Route, StreamResult } from './route.js';

const toExpressPath = (path: string) => path.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');

function parseOr(schema: z.ZodType | undefined, value: unknown, where: 'path' | 'query' | 'body'): unknown {
  if (!schema) return undefined;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors = result.error.issues.map((i) => ({ loc: [where, ...i.path.map(String)], msg: i.message, type: i.code }));
  const first = errors[0];
  const name = first && first.loc.length > 1 ? first.loc.slice(1).join('.') : where;
  const message = `invalid ${where === 'path' ? 'path parameter' : where} ${name}: ${first?.msg ?? 'invalid'}`;
  throw new HttpError(where === 'path' ? 400 : 422, message, 'validation_error', errors);
}

/** RFC 6266 Content-Disposition that cannot split headers or carry quotes. */
export function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

const isStream = (value: unknown): value is StreamResult =>
  typeof value === 'object' && value !== null && (value as StreamResult).kind === 'stream';

async function send(res: Response, value: unknown, dialect: Dialect, status: number): Promise<void> {
  if (res.headersSent) return; // the handler answered itself (SSE)
  if (status === 204) {
    res.status(204).end();
    return;
  }
  if (!isStream(value)) {
    res.status(status).json(wrapSuccess(dialect, value));
    return;
  }
  res.setHeader('Content-Type', value.contentType);
  res.setHeader('Content-Disposition', contentDisposition(value.filename));
  res.setHeader('X-Content-Type-Options', 'nosniff');
  await pipeline(value.stream, res);
}

/** Middleware a route runs before its handler (auth, rate limits, resource access), built per route. */
export type RouteMiddleware = (route: Route) => RequestHandler[];

/**
 * Registers each declared route on the app: runs the route's middleware (`before`, in order), validates
 * path, query and JSON body, then runs the handler.
 */
export function registerRoutes(app: Express, routes: readonly Route[], services: AppServices, before: readonly RouteMiddleware[] = []): void {
  for (const route of routes) {
    const chain = before.flatMap((build) => build(route));
    app[route.method](toExpressPath(route.path), (_req: Request, res: Response, next) => {
      res.locals.dialect = route.dialect ?? 's001';
      res.locals.route = route;
      next();
    }, ...chain, async (req: Request, res: Response) => {
      res.locals.dialect = route.dialect ?? 's001';
      const params = parseOr(route.params, req.params, 'path');
      const query = parseOr(route.query, req.query, 'query');
      const body = route.multipart ? undefined : route.validateBody ? route.validateBody(req.body, req) : parseOr(route.body, req.body ?? {}, 'body');
      const value = await route.handler({ params, query, body, req, res, services });
      await send(res, value, route.dialect ?? 's001', route.status ?? 200);
    });
  }
}
