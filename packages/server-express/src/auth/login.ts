import type { User } from '@yoloops/core';
import type { Request, Response } from 'express';
import { HttpError } from '../http/errors.js';
import { principalOf } from '../http/principal.js';
import type { AppServices } from '../services.js';
import { setSessionCookie } from './auth-settings.js';

/** 401 with `WWW-Authenticate: Bearer`, as FastAPI's OAuth2 example answers a failed login. */
export function loginRefused(res: Response, reason: 'wrong' | 'inactive'): HttpError {
  res.setHeader('WWW-Authenticate', 'Bearer');
  return reason === 'inactive'
    ? new HttpError(401, 'Inactive user: this account is disabled', 'user_inactive')
    : new HttpError(401, 'Incorrect username or password', 'invalid_credentials');
}

/** Checks the password and issues a token with its session cookie (shared by both login routes). */
export async function logIn(services: AppServices, req: Request, res: Response, username: string, password: string): Promise<{ token: string; expires_in: number } | 'wrong' | 'inactive'> {
  const outcome = await services.accounts.authenticate(username, password);
  if (!outcome.ok) return outcome.reason === 'inactive' ? 'inactive' : 'wrong';
  const issued = await services.accounts.issueToken(outcome.user);
  setSessionCookie(req, res, issued.token, issued.expires_in);
  return issued;
}

/** The signed-in user (a 401 while auth is off and no token was sent: there is no account then). */
export async function currentUser(services: AppServices, res: Response): Promise<User> {
  const principal = principalOf(res);
  if (principal.kind !== 'user') throw new HttpError(401, 'Not authenticated: no user token was sent (auth is off, so the request acts without an account)', 'not_authenticated');
  const user = await services.accounts.get(principal.userId);
  if (user === undefined) throw new HttpError(401, 'Not authenticated: the account of this token no longer exists', 'invalid_token');
  return user;
}
