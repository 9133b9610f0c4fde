import express, { type Express, type Request } from 'express';
import { createAppAuth } from './auth/app-auth.js';
import type { AuthSettings } from './auth/auth-settings.js';
import type { Dialect } from './http/dialects.js';
import type { Route } from './http/route.js';
import type { SecurityOptions } from './security-options.js';
import type { AppServices } from './services.js';
import { createErrorHandler, HttpError } from './http/errors.js';
import { createCorsMiddleware, createCrossSiteGuard, createHostGuard, createOriginPolicy } from './http/origin-policy.js';
import { createFailedAuthLimit, createRateLimitMiddleware } from './http/rate-limit.js';
import type { RateLimitStores } from './http/rate-limit-stores.js';
import { registerRoutes } from './http/register-routes.js';
import { createQueryAllowlist } from './http/query-allowlist.js';
import { createRequestIdMiddleware } from './http/request-id.js';
import { createResourceAccess, createStaticAccess } from './http/resource-access.js';
import { createStaticHandler } from './http/static-files.js';
import { buildOpenApi } from './openapi/build-openapi.js';
import { createDocsRouter } from './openapi/docs-router.js';
import { allRoutes, API_INFO } from './routes/index.js';
import { ROUTE_RESOURCES } from './routes/route-resources.js';
import { loadOwnedProjects } from './routes/catalog-access.js';

export interface CreateAppOptions extends Pick<SecurityOptions, 'corsOrigins' | 'rateLimits' | 'trustProxy'> {
  services: AppServices;
  /** Where unexpected errors are reported (default console.error). */
  log?: (message: string, error: unknown) => void;
  /** Largest JSON body (default 1 MiB). */
  jsonLimit?: string;
  /** Where rate limits count (default this process's memory; `startServer` passes Redis ones with YOLOOPS_REDIS_URL). The caller closes them. */
  rateLimitStores?: RateLimitStores;
  /**
   * Auth: `mode` (default `off`: `startServer` resolves it from the host it listens on), who registers
   * users, and the public URL notify URLs start with (default the request's own).
   */
  auth?: Partial<AuthSettings>;
}

/** The dialect of the route whose path template matches a request path (`s001` when none does). */
function dialectMatcher(routes: readonly Route[]): (req: Request) => Dialect {
  const patterns = routes
    .filter((r) => r.dialect && r.dialect !== 's001')
    .map((r) => ({ dialect: r.dialect!, re: new RegExp(`^${r.path.replace(/\{[^}]+\}/g, '[^/]+')}$`) }));
  return (req) => patterns.find((p) => p.re.test(req.path))?.dialect ?? 's001';
}

/**
 * Builds the Express app over core services: the S001 REST API at the root, `/static` dataset images,
 * `/openapi.json` and `/docs` (Swagger UI). Embed it in your own server or use `yoloops serve`.
 * @example
 * const platform = await createNodePlatform({ dataDir: './data' });
 * createApp({ services: platform }).listen(8000);
 */
export function createApp(options: CreateAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(createRequestIdMiddleware()); // first: every answer, refusals included, carries X-Request-ID
  const spec = buildOpenApi(allRoutes, API_INFO);
  const auth = createAppAuth(options.services, options.auth);
  app.locals.auth = auth.settings;
  // Behind `trustProxy` reverse proxies, req.ip (rate-limit keys) and req.host (same-origin) come from X-Forwarded-*; else never.
  app.set('trust proxy', options.trustProxy ? options.trustProxy : false);
  const originAllowed = createOriginPolicy(options.corsOrigins);
  if (auth.settings.mode === 'off') app.use(createHostGuard([...(options.corsOrigins ?? []), ...(auth.settings.publicUrl ? [auth.settings.publicUrl] : [])]));
  app.use(createCorsMiddleware(originAllowed));
  app.use(createCrossSiteGuard(originAllowed)); // before any body parser: a refused upload is never read
  if (options.rateLimits !== false) app.use(createFailedAuthLimit(undefined, options.rateLimitStores));
  // Routes with a smaller body cap get their own parser first; the app-wide one then sees a parsed body.
  for (const route of allRoutes.filter((r) => r.jsonLimit !== undefined)) {
    app[route.method](route.path.replace(/\{([^}]+)\}/g, ':$1'), express.json({ limit: route.jsonLimit }));
  }
  for (const route of allRoutes.filter((r) => r.bodyType === 'form')) {
    app[route.method](route.path.replace(/\{([^}]+)\}/g, ':$1'), express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 }));
  }
  app.use(express.json({ limit: options.jsonLimit ?? '1mb' }));
  app.get('/openapi.json', (_req, res) => {
    res.json(spec);
  });
  app.use('/docs', createDocsRouter({ title: API_INFO.title }));
  app.get('/static/{*path}', auth.staticGuard, createStaticAccess(options.services), createStaticHandler(options.services.blobs));
  const access = createResourceAccess(options.services, ROUTE_RESOURCES);
  registerRoutes(app, allRoutes, options.services, [auth.policy, createRateLimitMiddleware(options.rateLimits, options.rateLimitStores), createQueryAllowlist(), loadOwnedProjects(options.services), access]);
  app.use((req, _res, next) => next(new HttpError(404, 'Not Found', 'not_found')));
  app.use(createErrorHandler(options.log ?? ((message, error) => console.error(message, error)), dialectMatcher(allRoutes)));
  return app;
}

export { allRoutes, API_INFO, buildOpenApi };
