import { describe, expect, test } from 'vitest';
import type { RevocationStore } from '../../../src/accounts/revocation-store.port.js';

/** The behaviour every `RevocationStore` adapter must have. */
export function describeRevocationStoreContract(name: string, factory: () => Promise<RevocationStore> | RevocationStore): void {
  describe(`RevocationStore contract: ${name}`, () => {
    test('remembers revoked digests; adding twice is harmless', async () => {
      const store = await factory();
      expect(await store.has('a'.repeat(64))).toBe(false);
      await store.add('a'.repeat(64), 2_000);
      await store.add('a'.repeat(64), 2_000);
      expect(await store.has('a'.repeat(64))).toBe(true);
      expect(await store.has('b'.repeat(64))).toBe(false);
    });

    test('prune forgets only entries whose token expired before now', async () => {
      const store = await factory();
      await store.add('old', 1_000);
      await store.add('edge', 1_500);
      await store.add('new', 2_000);
      expect(await store.prune(1_500)).toBe(1);
      expect([await store.has('old'), await store.has('edge'), await store.has('new')]).toEqual([false, true, true]);
      expect(await store.prune(1_500)).toBe(0);
    });

    test('a later expiry for the same digest wins', async () => {
      const store = await factory();
      await store.add('x', 3_000);
      await store.add('x', 1_000);
      expect(await store.prune(2_000)).toBe(0);
      expect(await store.has('x')).toBe(true);
    });
  });
}
