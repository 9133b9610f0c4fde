import { randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { AuthError } from './auth-error.js';

export const TOKEN_ISSUER = 'yoloops';
/** Audience of user tokens. */
export const USER_AUDIENCE = 'yoloops';
/** Audience of trainer-agent tokens: a user token is never an agent token, nor the reverse. */
export const AGENT_AUDIENCE = 'yoloops-agent';
export const DEFAULT_TOKEN_TTL_S = 86_400;
export const AGENT_TOKEN_TTL_S = 30 * 86_400;
/** Audience of worker tokens (`yoloops workers token`): they only reach the worker routes. */
export const WORKER_AUDIENCE = 'yoloops-worker';

/** What a token says once its signature, issuer, audience and times checked out. */
export type TokenClaims =
  | { kind: 'user'; userId: number; version: number; jti: string; exp: number }
  | { kind: 'agent'; jobId: string; jti: string; exp: number }
  | { kind: 'worker'; jti: string; exp: number };

export interface SignOptions {
  key: Uint8Array;
  nowS: number;
  ttlS: number;
}

/** Signs an HS256 JWT (`iss`, `aud`, `sub`, `jti`, `iat`, `exp` plus `extra`). */
export async function signToken(audience: string, subject: string, extra: Record<string, unknown>, options: SignOptions): Promise<{ token: string; exp: number }> {
  const exp = options.nowS + options.ttlS;
  const token = await new SignJWT(extra)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(TOKEN_ISSUER)
    .setAudience(audience)
    .setSubject(subject)
    .setJti(randomUUID())
    .setIssuedAt(options.nowS)
    .setExpirationTime(exp)
    .sign(options.key);
  return { token, exp };
}

function claimsOf(payload: JWTPayload): TokenClaims | undefined {
  const { aud, sub, jti, exp } = payload;
  if (typeof jti !== 'string' || jti === '' || typeof exp !== 'number' || typeof sub !== 'string') return undefined;
  if (aud === USER_AUDIENCE && /^[1-9]\d{0,15}$/.test(sub) && Number.isSafeInteger(payload.ver)) {
    return { kind: 'user', userId: Number(sub), version: payload.ver as number, jti, exp };
  }
  if (aud === AGENT_AUDIENCE && typeof payload.job === 'string' && payload.job !== '' && sub === `job:${payload.job}`) {
    return { kind: 'agent', jobId: payload.job, jti, exp };
  }
  if (aud === WORKER_AUDIENCE && sub === 'worker' && payload.scope === 'worker') return { kind: 'worker', jti, exp };
  return undefined;
}

/**
 * Verifies an HS256 token of ours (any other `alg`, `none` included, is refused) and reads its claims;
 * every failure is an `AuthError` (`expired` past `exp`, else `invalid`).
 */
export async function verifyTokenClaims(token: string, key: Uint8Array, now: Date): Promise<TokenClaims> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, key, {
      algorithms: ['HS256'],
      issuer: TOKEN_ISSUER,
      audience: [USER_AUDIENCE, AGENT_AUDIENCE, WORKER_AUDIENCE],
      requiredClaims: ['exp', 'iat', 'jti', 'sub'],
      currentDate: now,
    }));
  } catch (error) {
    if (error instanceof errors.JWTExpired) throw new AuthError('expired', 'Token has expired', { cause: error });
    throw new AuthError('invalid', 'Invalid token', { cause: error });
  }
  const claims = claimsOf(payload);
  if (claims === undefined) throw new AuthError('invalid', 'Invalid token');
  return claims;
}
