import type { RevocationStore } from '../../accounts/revocation-store.port.js';

/** In-memory `RevocationStore` (revocations end with the process). */
export function createMemoryRevocationStore(): RevocationStore {
  const revoked = new Map<string, number>();
  return {
    async add(jtiDigest, expiresAt) {
      revoked.set(jtiDigest, Math.max(expiresAt, revoked.get(jtiDigest) ?? 0));
    },
    has: async (jtiDigest) => revoked.has(jtiDigest),
    async prune(nowS) {
      let gone = 0;
      for (const [digest, exp] of revoked) {
        if (exp < nowS) {
          revoked.delete(digest);
          gone += 1;
        }
      }
      return gone;
    },
  };
}
