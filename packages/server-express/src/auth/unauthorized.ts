import type { Response } from 'express';
import { renderError, type Dialect } from '../http/dialects.js';
import { requestIdOf } from '../http/request-id.js';

/** Why a request is not authenticated: no credential, an unreadable one, or a token that fails verification. */
export type UnauthorizedReason = 'missing' | 'malformed' | 'invalid' | 'expired' | 'inactive' | 'revoked';

const CODES: Record<UnauthorizedReason, string> = {
  missing: 'not_authenticated', malformed: 'malformed_credentials', invalid: 'invalid_token', expired: 'token_expired', inactive: 'user_inactive', revoked: 'token_revoked',
};

const WHY: Record<UnauthorizedReason, string> = {
  missing: 'send Authorization: Bearer <token> (POST /api/v1/auth/token or /api/v1/login gives one)',
  malformed: 'the credential is malformed',
  invalid: 'the token is invalid',
  expired: 'the token has expired; log in again',
  inactive: 'the account is disabled',
  revoked: 'the token was revoked (logout, password change or a disabled account); log in again',
};

/** The seed 000 origin's messages (flwr-backend's token decorator). */
function seed000Message(reason: UnauthorizedReason): string {
  if (reason === 'missing') return 'Token is missing';
  if (reason === 'expired') return 'Token has expired';
  if (reason === 'inactive') return 'User not found or inactive';
  return 'Invalid token';
}

/**
 * Answers 401 in the route family's dialect, saying why without echoing the credential:
 * s001 `{detail, code}`; s002 FastAPI's `Not authenticated` / `Could not validate credentials` with
 * `WWW-Authenticate: Bearer`; s003 its decorator's flat `{error, code:"UNAUTHORIZED"}`; s000
 * `{code:401, message, data:null}`; s004 its `{success:false, code:401}` envelope (HTTP 200);
 * s002+s003 FastAPI's `detail` and the decorator's `error` with `code:"UNAUTHORIZED"`.
 */
export function sendUnauthorized(res: Response, dialect: Dialect, reason: UnauthorizedReason, detail?: string): void {
  const why = detail ?? WHY[reason];
  const code = CODES[reason];
  res.setHeader('WWW-Authenticate', reason === 'missing' ? 'Bearer' : 'Bearer error="invalid_token"');
  res.setHeader('Cache-Control', 'no-store');
  if (dialect === 's002') {
    res.status(401).json({ detail: reason === 'missing' ? 'Not authenticated' : 'Could not validate credentials', code, reason: why });
  } else if (dialect === 's003' || dialect === 's002+s003') {
    const s002 = dialect === 's003' ? {} : { detail: reason === 'missing' ? 'Not authenticated' : 'Could not validate credentials' };
    const error = reason === 'missing' ? 'Token is missing' : 'Token is invalid';
    res.status(401).json({ ...s002, error, code: 'UNAUTHORIZED', reason: why, timestamp: new Date().toISOString(), request_id: requestIdOf(res) });
  } else if (dialect === 's000') {
    res.status(401).json({ code: 401, message: seed000Message(reason), data: null, reason: code, detail: why });
  } else {
    const { status, body } = renderError(dialect, { status: 401, detail: `Not authenticated: ${why}`, code });
    res.status(status).json(body);
  }
}
