import type { Request, RequestHandler } from 'express';
import { isIP } from 'node:net';
import { HttpError } from './errors.js';

/** Whether a browser `Origin` may call the API with credentials. */
export type OriginAllowed = (origin: string, req: Request) => boolean;

/** Dev servers on this machine (Vite, webpack…): `http(s)://localhost|127.0.0.1|[::1]` on any port. */
const LOOPBACK_ORIGIN = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;

const parseOrigin = (origin: string): URL | undefined => {
  try {
    const url = new URL(origin);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
};

/**
 * The allowed origins: the request's own (same host:port as its `Host`, or `X-Forwarded-Host` behind
 * trusted proxies), the loopback dev origins, and `configured` (`YOLOOPS_CORS_ORIGINS`). `null`,
 * malformed and every other origin are refused.
 */
export function createOriginPolicy(configured: readonly string[] = []): OriginAllowed {
  const extra = new Set(configured.map((o) => parseOrigin(o)?.origin ?? o));
  return (origin, req) => {
    if (LOOPBACK_ORIGIN.test(origin)) return true;
    const url = parseOrigin(origin);
    if (!url) return false;
    if (extra.has(url.origin)) return true;
    const host = req.host; // Express 5: host:port of the Host header
    if (!host) return false;
    return parseOrigin(`${url.protocol}//${host}`)?.host === url.host;
  };
}

const ALLOWED_METHODS = 'GET,POST,PUT,PATCH,DELETE,OPTIONS';
const ALLOWED_HEADERS = 'Authorization,Content-Type,Accept,Last-Event-ID,X-Requested-With,Cache-Control';
/** What a cross-origin page may read: download names and the rate-limit state. */
const EXPOSED_HEADERS = 'Content-Disposition,Retry-After,X-RateLimit-Limit,X-RateLimit-Remaining,X-RateLimit-Reset';

/**
 * CORS for allowed origins only: they get `Access-Control-Allow-Origin` (their own origin) with
 * credentials, and preflights list the methods and request headers; any other origin gets no CORS
 * header at all, so a foreign page can neither read answers nor pass a preflight. OPTIONS ends here (204).
 */
export function createCorsMiddleware(allowed: OriginAllowed): RequestHandler {
  return (req, res, next) => {
    res.vary('Origin');
    const origin = req.headers.origin;
    const ok = origin !== undefined && allowed(origin, req);
    if (ok) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS);
    }
    if (req.method !== 'OPTIONS') return next();
    if (ok && req.headers['access-control-request-method'] !== undefined) {
      res.setHeader('Access-Control-Allow-Methods', ALLOWED_METHODS);
      res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
      res.setHeader('Access-Control-Max-Age', '600');
      // Chrome's private-network preflight (a public page calling a server on this machine): allowed origins only.
      if (req.headers['access-control-request-private-network'] === 'true') res.setHeader('Access-Control-Allow-Private-Network', 'true');
    }
    res.status(204).end();
  };
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Refuses state-changing requests a foreign web page makes through the user's browser (CSRF), in
 * every auth mode and before any body is read: 403 when the `Origin` is present and not allowed, or
 * when there is no `Origin` and `Sec-Fetch-Site` says `cross-site`. Callers that are not browsers
 * (curl, the trainer agent, seed-004 Java callers) send neither and pass.
 */
export function createCrossSiteGuard(allowed: OriginAllowed): RequestHandler {
  return (req, res, next) => {
    if (!STATE_CHANGING.has(req.method)) return next();
    const origin = req.headers.origin;
    const refused = origin !== undefined ? !allowed(origin, req) : req.headers['sec-fetch-site'] === 'cross-site';
    if (!refused) return next();
    res.setHeader('Connection', 'close'); // the body stays unread: do not drain an upload to keep the socket
    const from = origin === undefined ? 'a cross-site page' : `origin ${origin.slice(0, 200)}`;
    next(new HttpError(403, `cross-site request refused: ${from} may not change anything here (allowed: this server's own origin, loopback dev origins, YOLOOPS_CORS_ORIGINS)`, 'cross_site_request'));
  };
}

/** The host name of an origin or URL (`https://app.example.com:8443` → `app.example.com`), lower case. */
const hostnameOf = (url: string): string | undefined => parseOrigin(url)?.hostname.replace(/^\[|\]$/g, '').toLowerCase();

/**
 * DNS-rebinding protection for a server without auth: a page on `evil.example` whose name the attacker
 * re-points at this machine is same-origin to the browser, so Origin checks cannot see it; its requests
 * still carry `Host: evil.example`. Only IP literals, `localhost` (and `*.localhost`) and the hosts of
 * `allowedUrls` (the configured origins, the public URL) are answered; other names get a 403.
 */
export function createHostGuard(allowedUrls: readonly string[]): RequestHandler {
  const names = new Set(allowedUrls.map(hostnameOf).filter((h): h is string => h !== undefined));
  return (req, res, next) => {
    const host = req.hostname?.replace(/^\[|\]$/g, '').toLowerCase(); // Express: the Host header (X-Forwarded-Host behind trusted proxies)
    if (!host || isIP(host) !== 0 || host === 'localhost' || host.endsWith('.localhost') || names.has(host)) return next();
    res.setHeader('Connection', 'close');
    next(new HttpError(403, `host ${host.slice(0, 200)} is not served while auth is off (DNS rebinding protection): use the server's IP address or localhost, list the name in YOLOOPS_PUBLIC_URL or YOLOOPS_CORS_ORIGINS, or turn auth on`, 'host_not_allowed'));
  };
}
