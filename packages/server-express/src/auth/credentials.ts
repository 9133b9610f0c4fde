import type { Request } from 'express';

/** Name of the session cookie the login routes set (HttpOnly, SameSite=Strict, Path=/). */
export const SESSION_COOKIE = 'yoloops_session';

/** Longest Authorization header or cookie value read (a JWT of ours is a few hundred bytes). */
export const MAX_CREDENTIAL_BYTES = 8192;

/** What a request presents: nothing, a token (from the header or the session cookie), or something unusable and why. */
export type Credential =
  | { kind: 'none' }
  | { kind: 'token'; token: string; via: 'header' | 'cookie' }
  | { kind: 'malformed'; why: string };

// Printable ASCII without spaces: what a JWT (base64url and dots) or any opaque token of ours is made of.
const TOKEN_CHARS = /^[\x21-\x7e]+$/;

function headerValues(req: Request, name: string): string[] {
  const values: string[] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) if (req.rawHeaders[i]?.toLowerCase() === name) values.push(req.rawHeaders[i + 1] ?? '');
  return values;
}

function checkToken(token: string, via: 'header' | 'cookie'): Credential {
  if (token === '') return { kind: 'malformed', why: 'the token is empty' };
  if (Buffer.byteLength(token) > MAX_CREDENTIAL_BYTES) return { kind: 'malformed', why: `the token is longer than ${MAX_CREDENTIAL_BYTES} bytes` };
  if (!TOKEN_CHARS.test(token)) return { kind: 'malformed', why: 'the token has characters no token has (spaces, control or non-ASCII characters)' };
  return { kind: 'token', token, via };
}

/** The session cookie's value, when the request sends exactly one. */
function sessionCookie(req: Request): string | undefined {
  const found: string[] = [];
  for (const header of headerValues(req, 'cookie')) {
    for (const pair of header.split(';')) {
      const at = pair.indexOf('=');
      if (at > 0 && pair.slice(0, at).trim() === SESSION_COOKIE) found.push(pair.slice(at + 1).trim());
    }
  }
  return found.length === 1 ? found[0] : undefined;
}

/**
 * Reads the request's credential: exactly one `Authorization: Bearer <token>` header (scheme in any
 * case), or with `raw` (seed 000 clients) the header's whole value as the token; else, for GET and
 * HEAD only, the session cookie. A state-changing request never authenticates by cookie.
 */
export function readCredential(req: Request, options: { raw?: boolean } = {}): Credential {
  const headers = headerValues(req, 'authorization');
  if (headers.length > 1) return { kind: 'malformed', why: `${headers.length} Authorization headers were sent; send one` };
  const header = headers[0];
  if (header !== undefined) {
    if (Buffer.byteLength(header) > MAX_CREDENTIAL_BYTES) return { kind: 'malformed', why: `the Authorization header is longer than ${MAX_CREDENTIAL_BYTES} bytes` };
    const bearer = /^bearer(?: +(.*))?$/i.exec(header.trim());
    if (bearer) return checkToken((bearer[1] ?? '').trim(), 'header');
    if (options.raw) return checkToken(header.trim(), 'header');
    const scheme = header.trim().split(/\s/)[0] ?? '';
    return { kind: 'malformed', why: scheme === '' ? 'the Authorization header is empty' : 'the Authorization header is not "Bearer <token>"' };
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return { kind: 'none' };
  const cookie = sessionCookie(req);
  return cookie === undefined ? { kind: 'none' } : checkToken(cookie, 'cookie');
}

/** The Set-Cookie value of a session cookie holding `token` for `maxAgeS` seconds (Secure over HTTPS). */
export function sessionCookieHeader(token: string, maxAgeS: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${token}; Max-Age=${Math.max(0, Math.floor(maxAgeS))}; Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

/** The Set-Cookie value that clears the session cookie. */
export const CLEAR_SESSION_COOKIE = `${SESSION_COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict`;
