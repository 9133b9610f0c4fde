import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Dialect } from '../http/dialects.js';
import { HttpError } from '../http/errors.js';
import type { Principal } from '../http/principal.js';
import type { RouteMiddleware } from '../http/register-routes.js';
import type { Route, RouteAuth } from '../http/route.js';
import type { AuthMode } from './auth-mode.js';
import { readCredential } from './credentials.js';
import { sendUnauthorized, type UnauthorizedReason } from './unauthorized.js';

/** What a verified token stands for (the accounts service's `verify`). */
export type VerifiedToken =
  | { kind: 'user'; user: { id: number; username: string; role: 'admin' | 'member' } }
  | { kind: 'agent'; jobId: string }
  | { kind: 'worker' };

/** The part of the accounts service the auth policy uses. */
export interface AuthAccounts {
  /** Resolves what the token stands for; throws an error with `reason` expired|invalid|inactive|revoked when it fails. */
  verify(token: string): Promise<VerifiedToken> | VerifiedToken;
  checkNotifySecret(jobId: string, secret: string): Promise<boolean> | boolean;
}

export interface AuthPolicyOptions {
  mode: AuthMode;
  accounts: AuthAccounts;
  /** Owner account of a job (undefined: unknown job, null: no owner); a member may act as the agent of its own jobs. */
  ownerOfJob(jobId: string): Promise<number | null | undefined>;
  /**
   * Routes a request without any credential may still reach in `required` mode, marked `res.locals.anonymous`
   * and without a principal (open registration); the handler must check the mark before `principalOf`.
   */
  allowsAnonymous?(route: Route): boolean;
}

const FAIL_REASONS = new Set<UnauthorizedReason>(['expired', 'invalid', 'inactive', 'revoked']);

type Outcome = { ok: true; principal: Principal; token?: string } | { ok: false; reason: UnauthorizedReason; detail?: string };

async function authenticate(req: Request, options: AuthPolicyOptions, raw: boolean): Promise<Outcome> {
  const credential = readCredential(req, { raw });
  if (credential.kind === 'malformed') return { ok: false, reason: 'malformed', detail: credential.why };
  if (credential.kind === 'none') return options.mode === 'off' ? { ok: true, principal: { kind: 'local' } } : { ok: false, reason: 'missing' };
  let verified: VerifiedToken;
  try {
    verified = await options.accounts.verify(credential.token);
  } catch (error) {
    const reason = (error as { reason?: unknown } | null)?.reason;
    if (typeof reason === 'string' && FAIL_REASONS.has(reason as UnauthorizedReason)) return { ok: false, reason: reason as UnauthorizedReason };
    throw error;
  }
  if (verified.kind === 'agent') return { ok: true, principal: { kind: 'agent', jobId: verified.jobId }, token: credential.token };
  if (verified.kind === 'worker') return { ok: true, principal: { kind: 'worker' }, token: credential.token };
  const { id, username, role } = verified.user;
  return { ok: true, principal: { kind: 'user', userId: id, username, role }, token: credential.token };
}

/** The job a trainer report or upload is for: the path's `task_id`/`job_id`, else the body's `trainTaskId`. */
export function reportedJobId(req: Request): string | undefined {
  const fromPath = req.params.task_id ?? req.params.job_id;
  if (typeof fromPath === 'string') return fromPath;
  const body = req.body as { trainTaskId?: unknown } | undefined;
  const id = body?.trainTaskId;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
}

/** 403 unless the principal may act on `auth`'s routes (for agent routes: on the reported job). */
async function authorize(auth: RouteAuth, principal: Principal, req: Request, options: AuthPolicyOptions): Promise<HttpError | undefined> {
  if (principal.kind === 'local') return undefined;
  if (auth === 'worker') {
    return principal.kind === 'worker' || (principal.kind === 'user' && principal.role === 'admin') ? undefined : new HttpError(403, 'only a worker token (yoloops workers token) or an admin may use the worker routes', 'worker_only');
  }
  if (principal.kind === 'worker') return new HttpError(403, 'a worker token only reaches the worker routes (/api/workers/…)', 'worker_token');
  if (auth === 'agent') {
    const jobId = reportedJobId(req);
    if (jobId === undefined) return undefined; // the handler's validation names the missing field
    if (principal.kind === 'agent') {
      return principal.jobId === jobId ? undefined : new HttpError(403, `this agent token is for job ${principal.jobId}, not ${jobId}`, 'wrong_job');
    }
    if (principal.role === 'admin') return undefined;
    const owner = await options.ownerOfJob(jobId);
    return owner === principal.userId ? undefined : new HttpError(403, `only an admin or the job's owner may report for job ${jobId}`, 'not_job_owner');
  }
  if (principal.kind === 'agent') return new HttpError(403, 'an agent token only reports for its own job (notify and weights routes); sign in as a user for this route', 'agent_token');
  if (auth === 'admin' && principal.role !== 'admin') return new HttpError(403, 'only an admin may do this', 'admin_only');
  return undefined;
}

/** Families whose origin's token decorator also took the Authorization header's whole value as the token. */
const RAW_TOKEN_DIALECTS: ReadonlySet<Dialect> = new Set(['s000', 's003', 's002+s003']);

/** A handler that authenticates and authorizes one kind of route, then sets `res.locals.principal`. */
export function createAuthHandler(options: AuthPolicyOptions, auth: Exclude<RouteAuth, 'public' | 'notify-secret'>, dialect: Dialect, anonymousOk = false): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    authenticate(req, options, RAW_TOKEN_DIALECTS.has(dialect)).then(async (outcome) => {
      if (!outcome.ok && outcome.reason === 'missing' && anonymousOk) {
        res.locals.anonymous = true;
        return next();
      }
      if (!outcome.ok) return sendUnauthorized(res, dialect, outcome.reason, outcome.detail);
      const refused = await authorize(auth, outcome.principal, req, options);
      if (refused) return next(refused);
      res.locals.principal = outcome.principal;
      if (outcome.token !== undefined) res.locals.authToken = outcome.token;
      next();
    }, next);
  };
}

/**
 * The route's own secret (`/notify/{job_id}/{secret}/…`) instead of a token: a wrong secret, or a body
 * for another job, is a 403 and nothing runs. Path values that fail the route's schema go on to its 400.
 */
function createNotifySecretHandler(options: AuthPolicyOptions, route: Route): RequestHandler {
  return (req, res, next) => {
    if (route.params && !route.params.safeParse(req.params).success) return next();
    const jobId = String(req.params.job_id);
    Promise.resolve(options.accounts.checkNotifySecret(jobId, String(req.params.secret))).then((ok) => {
      if (!ok) return next(new HttpError(403, `wrong notify secret for job ${jobId}`, 'wrong_notify_secret'));
      const body = req.body as { trainTaskId?: unknown } | undefined;
      if (body?.trainTaskId !== undefined && String(body.trainTaskId) !== jobId) {
        return next(new HttpError(403, `this notify URL is for job ${jobId}; the body's trainTaskId is ${JSON.stringify(String(body.trainTaskId).slice(0, 80))}`, 'wrong_job'));
      }
      res.locals.principal = { kind: 'agent', jobId } satisfies Principal;
      next();
    }, next);
  };
}

/**
 * The server's one auth policy as route middleware: `public` routes never check; `user` and `admin`
 * need a user token (or nothing while auth is off); `agent` routes take a job's agent token for that
 * job, an admin's token or the job owner's; `notify-secret` routes check their path's job secret.
 * @example
 * registerRoutes(app, allRoutes, services, [createAuthPolicy({ mode: 'required', accounts, ownerOfJob })]);
 */
export function createAuthPolicy(options: AuthPolicyOptions): RouteMiddleware {
  return (route) => {
    const auth = route.auth ?? 'user';
    if (auth === 'public') return [];
    if (auth === 'notify-secret') return [createNotifySecretHandler(options, route)];
    return [createAuthHandler(options, auth, route.dialect ?? 's001', options.allowsAnonymous?.(route) === true)];
  };
}
