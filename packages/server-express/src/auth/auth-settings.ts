import type { Request, Response } from 'express';
import type { AuthMode } from './auth-mode.js';
import { CLEAR_SESSION_COOKIE, sessionCookieHeader } from './credentials.js';

/** The auth settings an app runs with, kept in `app.locals.auth` for the login routes. */
export interface AuthSettings {
  mode: AuthMode;
  /** `admin`: only admins register users; `open`: anyone may register a member account. */
  registration: 'admin' | 'open';
  /** Base URL a job's notify URL starts with (default: the URL the request came in on). */
  publicUrl?: string;
}

export const DEFAULT_AUTH_SETTINGS: AuthSettings = { mode: 'off', registration: 'admin' };

/** The settings of the app serving `req`. */
export const authSettingsOf = (req: Request): AuthSettings => (req.app.locals.auth as AuthSettings | undefined) ?? DEFAULT_AUTH_SETTINGS;

/** The base URL trainers and seed 004 callers reach this server at: the configured public URL, else the request's own. */
export function publicBaseUrl(req: Request): string {
  const configured = authSettingsOf(req).publicUrl;
  return (configured ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`).replace(/\/+$/, '');
}

/** Sets the HttpOnly session cookie of a fresh token (what `<img>`, downloads and EventSource authenticate with). */
export function setSessionCookie(req: Request, res: Response, token: string, expiresInS: number): void {
  res.append('Set-Cookie', sessionCookieHeader(token, expiresInS, req.secure));
  res.setHeader('Cache-Control', 'no-store');
}

export function clearSessionCookie(res: Response): void {
  res.append('Set-Cookie', CLEAR_SESSION_COOKIE);
}
