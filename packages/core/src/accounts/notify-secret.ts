import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

const NOTIFY_SECRET_CHARS = 32;

/** The job-scoped secret of a job's notify URL: base64url HMAC-SHA256(key, `notify:<jobId>`), first 32 characters. Derived, never stored. */
export function deriveNotifySecret(key: Uint8Array, jobId: string): string {
  return createHmac('sha256', key).update(`notify:${jobId}`).digest('base64url').slice(0, NOTIFY_SECRET_CHARS);
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Compares a presented secret with the job's in constant time (SHA-256 digests, so any length); never throws. */
export function matchesNotifySecret(key: Uint8Array, jobId: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  return timingSafeEqual(digest(given), digest(deriveNotifySecret(key, jobId)));
}
