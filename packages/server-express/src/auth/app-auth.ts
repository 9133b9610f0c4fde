import type { RequestHandler } from 'express';
import type { RouteMiddleware } from '../http/register-routes.js';
import type { AppServices } from '../services.js';
import { createAuthHandler, createAuthPolicy } from './auth-middleware.js';
import { DEFAULT_AUTH_SETTINGS, type AuthSettings } from './auth-settings.js';

/** What `createApp` mounts for its auth settings: the route policy and the guard of `/static`. */
export interface AppAuth {
  settings: AuthSettings;
  /** First of the routes' `before` middleware. */
  policy: RouteMiddleware;
  /** `/static` dataset and inference images: a user route (GET, so the session cookie works for `<img>`). */
  staticGuard: RequestHandler;
}

/** The auth policy of an app over its services' accounts and resource owners. */
export function createAppAuth(services: AppServices, options: Partial<AuthSettings> = {}): AppAuth {
  const settings: AuthSettings = { ...DEFAULT_AUTH_SETTINGS, ...options };
  const policyOptions = {
    mode: settings.mode,
    accounts: services.accounts,
    ownerOfJob: async (jobId: string) => (await services.resources.get('job', jobId))?.owner_id,
    allowsAnonymous: (route: { operationId: string }) => settings.registration === 'open' && route.operationId === 'registerUser',
  };
  return { settings, policy: createAuthPolicy(policyOptions), staticGuard: createAuthHandler(policyOptions, 'user', 's001') };
}
