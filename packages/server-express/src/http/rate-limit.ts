import type { Request, RequestHandler, Response } from 'express';
import { HOUR, ipKeyGenerator, MINUTE, rateLimit, SECOND, type Options, type Store } from 'express-rate-limit';
import { readCredential } from '../auth/credentials.js';
import type { RateLimit, SecurityOptions } from '../security-options.js';
import { HttpError } from './errors.js';
import { createMemoryRateLimitStores, type RateLimitStores } from './rate-limit-stores.js';
import { principalOf } from './principal.js';
import type { RouteMiddleware } from './register-routes.js';
import type { RateLimitClass, Route } from './route.js';

type LimitedClass = Exclude<RateLimitClass, 'none'>;
type Limit = Exclude<RateLimit, false>;

/** Seed 003's limits (train 10/hour, infer 60/minute, other API 120/minute) and failed logins 10/minute. */
export const DEFAULT_RATE_LIMITS: Readonly<Record<LimitedClass, Limit>> = {
  train: { limit: 10, windowMs: HOUR },
  infer: { limit: 60, windowMs: MINUTE },
  api: { limit: 120, windowMs: MINUTE },
  login: { limit: 10, windowMs: MINUTE },
};

/** Requests per IP whose credentials fail (401) before any further credential from it is refused unread. */
export const FAILED_AUTH_LIMIT: Limit = { limit: 30, windowMs: MINUTE };

/** IPv6 clients are counted per /64 (one customer network), IPv4 per address. */
const IPV6_SUBNET = 64;

/** Each class's limit: the defaults overridden by `options` (`false` turns all, or one class, off). */
export function resolveRateLimits(options: SecurityOptions['rateLimits']): Record<LimitedClass, RateLimit> {
  if (options === false) return { train: false, infer: false, api: false, login: false };
  return { ...DEFAULT_RATE_LIMITS, ...options };
}

/**
 * A route's rate-limit class: its own `rateLimit`, else none for the routes callers cannot pace
 * (`public`, agent reports, notify-secret reports, health checks), else `api`.
 */
export function rateLimitClassOf(route: Route): RateLimitClass {
  if (route.rateLimit) return route.rateLimit;
  if (route.auth === 'public' || route.auth === 'agent' || route.auth === 'notify-secret') return 'none';
  if (/(^|\/)health(\/|$)/.test(route.path)) return 'none';
  return 'api';
}

/** `1 hour`, `minute`, `30 seconds`: a window in words. */
export function windowInWords(windowMs: number): string {
  for (const [unit, ms] of [['hour', HOUR], ['minute', MINUTE], ['second', SECOND]] as const) {
    if (windowMs % ms === 0) return windowMs === ms ? unit : `${windowMs / ms} ${unit}s`;
  }
  return `${windowMs} ms`;
}

/** The client's address as a rate-limit key (IPv6 by /64; the proxy-resolved `req.ip` when proxies are trusted). */
export const ipKeyOf = (req: Request): string => `ip:${ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? '', IPV6_SUBNET)}`;

/** Who a request counts against: its user, its agent's job, else its IP (anonymous, or auth off). */
export function clientKeyOf(req: Request, res: Response): string {
  const principal = principalOf(res);
  if (principal.kind === 'user') return `user:${principal.userId}`;
  if (principal.kind === 'agent') return `job:${principal.jobId}`;
  return ipKeyOf(req);
}

const rateLimited = (res: Response, { limit, windowMs }: Limit) =>
  new HttpError(429, `rate limit of ${limit} per ${windowInWords(windowMs)} reached; retry in ${String(res.getHeader('Retry-After') ?? 1)} s`, 'rate_limited');

function limiter(limit: Limit, store: Store, keyGenerator: (req: Request, res: Response) => string, extra: { skip?: (req: Request) => boolean; onlyFailures?: boolean } = {}): RequestHandler {
  return rateLimit({
    store,
    // Our stores answer from memory when Redis cannot; should one still throw, the request goes on unlimited rather than a 500.
    passOnStoreError: true,
    windowMs: limit.windowMs,
    limit: limit.limit,
    legacyHeaders: true, // X-RateLimit-Limit/Remaining/Reset (epoch seconds), as seed 003 documents, and Retry-After on a 429
    standardHeaders: false,
    keyGenerator,
    ...(extra.skip ? { skip: extra.skip } : {}),
    skipSuccessfulRequests: extra.onlyFailures ?? false,
    // The 429 goes through the app's error handler, so each route family gets it in its own dialect.
    handler: (_req, res, next) => next(rateLimited(res, limit)),
  });
}

/** The username a login request submits (OAuth2 form or JSON), normalized, or undefined. */
function submittedUsername(req: Request): string | undefined {
  const name = (req.body as { username?: unknown } | undefined)?.username;
  return typeof name === 'string' && name.trim() !== '' ? name.trim().toLowerCase().slice(0, 256) : undefined;
}

/**
 * Login attempts: failed ones count per IP and per submitted username (a spray over many accounts and
 * a guess at one account behind many addresses are both caught); a success does not use the budget.
 */
function loginLimiters(limit: Limit, stores: RateLimitStores): RequestHandler[] {
  return [
    limiter(limit, stores.store('login-ip'), (req) => ipKeyOf(req), { onlyFailures: true }),
    limiter(limit, stores.store('login-user'), (req) => `login:${submittedUsername(req)}`, { onlyFailures: true, skip: (req) => submittedUsername(req) === undefined }),
  ];
}

/**
 * The per-route rate limits (a `registerRoutes` `before` entry, after auth so the user is known): one
 * shared budget per class and client — per user, per agent job, else per IP — with the X-RateLimit-*
 * headers on every answer and a 429 + Retry-After in the route's dialect past the limit. Counts live in
 * `stores` (default this process's memory; Redis ones share them between servers).
 * @example
 * registerRoutes(app, allRoutes, services, [authMiddleware, createRateLimitMiddleware({ train: { limit: 5, windowMs: HOUR } })]);
 */
export function createRateLimitMiddleware(options: SecurityOptions['rateLimits'], stores: RateLimitStores = createMemoryRateLimitStores()): RouteMiddleware {
  const limits = resolveRateLimits(options);
  const chains: Record<LimitedClass, RequestHandler[]> = {
    train: limits.train ? [limiter(limits.train, stores.store('train'), clientKeyOf)] : [],
    infer: limits.infer ? [limiter(limits.infer, stores.store('infer'), clientKeyOf)] : [],
    api: limits.api ? [limiter(limits.api, stores.store('api'), clientKeyOf)] : [],
    login: limits.login ? loginLimiters(limits.login, stores) : [],
  };
  return (route) => {
    const cls = rateLimitClassOf(route);
    return cls === 'none' ? [] : chains[cls];
  };
}

/** The request presents a credential: any Authorization header, or the session cookie where it counts (GET/HEAD). */
const carriesCredential = (req: Request) => req.headers.authorization !== undefined || readCredential(req).kind !== 'none';

/** The credential failed: a 401, or an s004 route's `success:false` 401 (HTTP 200), which carries the same WWW-Authenticate. */
const authFailed = (res: Response) => res.statusCode === 401 || res.hasHeader('WWW-Authenticate');

/**
 * Token guessing (app-level, before auth): every request whose credential fails (401) counts against
 * its IP; past the budget, requests from that IP that carry a credential are refused with 429 before it
 * is checked. Requests whose credentials are good never count, so one address's guessing never uses up
 * another address's budget, and a user's own route limits stay theirs. Counts live in `stores`, as the route limits'.
 */
export function createFailedAuthLimit(limit: Limit = FAILED_AUTH_LIMIT, stores: RateLimitStores = createMemoryRateLimitStores()): RequestHandler {
  const store = stores.store('failed-auth');
  void store.init?.({ windowMs: limit.windowMs } as Options); // both stores read only the window
  return async (req, res, next) => {
    if (!carriesCredential(req)) return next();
    const key = ipKeyOf(req);
    const seen = await store.get?.(key);
    if (seen && seen.totalHits >= limit.limit) {
      const retry = Math.max(1, Math.ceil(((seen.resetTime?.getTime() ?? Date.now() + limit.windowMs) - Date.now()) / 1000));
      res.setHeader('Retry-After', String(retry));
      return next(new HttpError(429, `too many requests with failing credentials from this address (${limit.limit} per ${windowInWords(limit.windowMs)}); retry in ${retry} s`, 'rate_limited'));
    }
    res.once('finish', () => {
      if (authFailed(res)) void Promise.resolve(store.increment(key)).catch(() => undefined);
    });
    next();
  };
}
