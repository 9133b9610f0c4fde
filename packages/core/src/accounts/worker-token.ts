import { ValidationError } from '../errors.js';
import type { Clock } from '../platform/clock.port.js';
import { signToken, WORKER_AUDIENCE } from './jwt-tokens.js';

/** Longest a worker token may last, in days. */
export const MAX_WORKER_TOKEN_DAYS = 3650;

/**
 * Signs a worker token (HS256, audience `yoloops-worker`, `scope: 'worker'`) with the server's token secret:
 * it reaches the worker routes only (heartbeat, claims, exit, downloads, GET /workers).
 * @example const { token } = await signWorkerToken({ secret, clock: systemClock, days: 30 });
 */
export async function signWorkerToken(options: { secret: Uint8Array; clock: Clock; days?: number }): Promise<{ token: string; expires_in: number }> {
  const days = options.days ?? 365;
  if (!Number.isInteger(days) || days < 1 || days > MAX_WORKER_TOKEN_DAYS) {
    throw new ValidationError(`days: a worker token lasts 1–${MAX_WORKER_TOKEN_DAYS} days (got ${String(days)})`, { reason: 'invalid_days' });
  }
  const ttlS = days * 86_400;
  const nowS = Math.floor(options.clock.now().getTime() / 1000);
  const { token } = await signToken(WORKER_AUDIENCE, 'worker', { scope: 'worker' }, { key: options.secret, nowS, ttlS });
  return { token, expires_in: ttlS };
}
