/** Revoked tokens (logout): the SHA-256 of a token's `jti` until the token would have expired anyway. */
export interface RevocationStore {
  /** Records a revoked jti digest; `expiresAt` is the token's `exp` (seconds since the epoch). Idempotent. */
  add(jtiDigest: string, expiresAt: number): Promise<void>;
  has(jtiDigest: string): Promise<boolean>;
  /** Forgets entries whose token expired before `nowS`; returns how many went. */
  prune(nowS: number): Promise<number>;
}
