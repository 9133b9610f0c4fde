import type { RevocationStore } from '../../accounts/revocation-store.port.js';
import type { SqliteDatabase } from './sqlite-database.js';

/**
 * `RevocationStore` on SQLite (`revoked_tokens`: the SHA-256 of each revoked jti and its token's expiry).
 * @example const revocations = createSqliteRevocationStore(openSqliteDatabase(file));
 */
export function createSqliteRevocationStore(db: SqliteDatabase): RevocationStore {
  const q = {
    add: db.prepare<[string, number]>(
      'INSERT INTO revoked_tokens (jti_sha256, expires_at) VALUES (?, ?) ON CONFLICT (jti_sha256) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)',
    ),
    has: db.prepare<[string], number>('SELECT 1 FROM revoked_tokens WHERE jti_sha256 = ?').pluck(),
    prune: db.prepare<[number]>('DELETE FROM revoked_tokens WHERE expires_at < ?'),
  };
  return {
    async add(jtiDigest, expiresAt) {
      q.add.run(jtiDigest, expiresAt);
    },
    has: async (jtiDigest) => q.has.get(jtiDigest) !== undefined,
    prune: async (nowS) => q.prune.run(nowS).changes,
  };
}
