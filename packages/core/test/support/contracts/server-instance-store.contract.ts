import { beforeEach, describe, expect, test } from 'vitest';
import type { ServerInstance, ServerInstanceStore } from '../../../src/servers/server-instance-store.port.js';

const instance = (id: string, extra: Partial<ServerInstance> = {}): ServerInstance => ({
  instance_id: id, hostname: 'api-1', pid: 4242, started_at: '2026-01-01T00:00:00.000Z', last_heartbeat: '2026-01-01T00:00:10.000Z', ...extra,
});

/**
 * Behaviour every `ServerInstanceStore` adapter must show; each test gets a fresh, empty store from `factory`.
 * @example describeServerInstanceStoreContract('memory', () => createMemoryServerInstanceStore());
 */
export function describeServerInstanceStoreContract(name: string, factory: () => Promise<ServerInstanceStore> | ServerInstanceStore): void {
  describe(`${name}: ServerInstanceStore contract`, () => {
    let store: ServerInstanceStore;
    beforeEach(async () => {
      store = await factory();
    });

    test('a heartbeat stores the record; the next one replaces it; the list is by id', async () => {
      expect(await store.list()).toStrictEqual([]);
      await store.heartbeat(instance('srv_b'));
      await store.heartbeat(instance('srv_a'));
      await store.heartbeat(instance('srv_b', { last_heartbeat: '2026-01-01T00:00:15.000Z' }));
      expect(await store.list()).toStrictEqual([instance('srv_a'), instance('srv_b', { last_heartbeat: '2026-01-01T00:00:15.000Z' })]);
    });

    test('remove drops one instance and says whether it was there', async () => {
      await store.heartbeat(instance('srv_a'));
      await store.heartbeat(instance('srv_b'));
      expect(await store.remove('srv_a')).toBe(true);
      expect(await store.remove('srv_a')).toBe(false);
      expect((await store.list()).map((i) => i.instance_id)).toEqual(['srv_b']);
    });

    test('forgets only instances silent since before the given time', async () => {
      await store.heartbeat(instance('old', { last_heartbeat: '2026-01-01T00:00:00.000Z' }));
      await store.heartbeat(instance('new', { last_heartbeat: '2026-01-02T00:00:00.000Z' }));
      expect(await store.forgetStaleAfter('2026-01-01T12:00:00.000Z')).toBe(1);
      expect((await store.list()).map((i) => i.instance_id)).toEqual(['new']);
      expect(await store.forgetStaleAfter('2026-01-01T12:00:00.000Z')).toBe(0);
    });
  });
}
