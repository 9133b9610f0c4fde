import type { z } from 'zod';
import { HttpError } from './errors.js';
import type { RouteMiddleware } from './register-routes.js';
import type { Route } from './route.js';

/** The query parameters a route declares (its query schema's keys; none without a schema); undefined when the schema is not an object. */
export function declaredQueryKeys(route: Pick<Route, 'query'>): readonly string[] | undefined {
  if (!route.query) return [];
  const shape = (route.query as z.ZodType & { shape?: Record<string, unknown> }).shape;
  return shape && typeof shape === 'object' ? Object.keys(shape) : undefined;
}

const shown = (name: string) => JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);

/**
 * Route middleware: a query parameter the route does not declare (`?sort=owner.tokenHash`,
 * `?filter[user][token][startsWith]=a`) is a 400 naming it, in the route's dialect — never silently
 * ignored, so no parameter can reach a handler, a store or a log unchecked.
 */
export function createQueryAllowlist(): RouteMiddleware {
  return (route) => {
    const keys = declaredQueryKeys(route);
    if (keys === undefined) throw new Error(`${route.operationId}: its query schema must be a z.object so its parameters can be listed`);
    const allowed = new Set(keys);
    const takes = keys.length === 0 ? 'this route takes no query parameters' : `this route takes ${keys.join(', ')}`;
    return [
      (req, _res, next) => {
        const unknown = Object.keys(req.query as Record<string, unknown>).filter((name) => !allowed.has(name));
        if (unknown.length === 0) return next();
        const names = unknown.slice(0, 5).map(shown).join(', ');
        const message = `unknown query parameter${unknown.length > 1 ? 's' : ''} ${names} (${takes})`;
        next(new HttpError(400, message, 'unknown_query_parameter', unknown.slice(0, 20).map((name) => ({ loc: ['query', name.slice(0, 80)], msg: 'unknown parameter', type: 'unknown_parameter' }))));
      },
    ];
  };
}
