import type { RevocationStore } from '../../accounts/revocation-store.port.js';
import type { PostgresDatabase } from './postgres-database.js';

/**
 * `RevocationStore` on PostgreSQL (`revoked_tokens` from migration 3: the SHA-256 of each revoked jti and its token's
 * expiry); adding a digest again keeps the later expiry.
 * @example const revocations = createPostgresRevocationStore(await openPgliteDatabase());
 */
export function createPostgresRevocationStore(db: PostgresDatabase): RevocationStore {
  return {
    async add(jtiDigest, expiresAt) {
      await db.query(
        `INSERT INTO revoked_tokens (jti_sha256, expires_at) VALUES ($1, $2)
         ON CONFLICT (jti_sha256) DO UPDATE SET expires_at = greatest(revoked_tokens.expires_at, excluded.expires_at)`,
        [jtiDigest, expiresAt],
      );
    },
    has: async (jtiDigest) => (await db.query('SELECT 1 FROM revoked_tokens WHERE jti_sha256 = $1', [jtiDigest])).rows.length > 0,
    prune: async (nowS) =>
      (await db.query<{ n: number }>('WITH gone AS (DELETE FROM revoked_tokens WHERE expires_at < $1 RETURNING 1) SELECT count(*)::int AS n FROM gone', [nowS]))
        .rows[0]!.n,
  };
}
