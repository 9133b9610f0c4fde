import { beforeEach, describe, expect, test } from 'vitest';
import type { SettingsStore } from '../../../src/settings/settings-store.port.js';

/**
 * Behaviour every `SettingsStore` adapter must show; each test gets a fresh store from `factory`.
 * @example describeSettingsStoreContract('memory', () => createMemorySettingsStore());
 */
export function describeSettingsStoreContract(name: string, factory: () => Promise<SettingsStore> | SettingsStore): void {
  describe(`${name}: SettingsStore contract`, () => {
    let store: SettingsStore;
    beforeEach(async () => {
      store = await factory();
    });

    test('returns what was set, as a fresh copy; a missing key is undefined', async () => {
      const value = { warning_utilization: 70, nested: { list: [1, 'two', null, true] } };
      await store.set('gpu-thresholds', value);
      const read = await store.get('gpu-thresholds');
      expect(read).toStrictEqual(value);
      (read as { warning_utilization: number }).warning_utilization = 1;
      value.warning_utilization = 2;
      expect(await store.get('gpu-thresholds')).toMatchObject({ warning_utilization: 70 });
      expect(await store.get('missing')).toBeUndefined();
    });

    test('set replaces the whole value; scalars and null are values too', async () => {
      await store.set('k', { a: 1, b: 2 });
      await store.set('k', { a: 3 });
      expect(await store.get('k')).toStrictEqual({ a: 3 });
      await store.set('n', null);
      expect(await store.get('n')).toBeNull();
      await store.set('s', 'text');
      expect(await store.get('s')).toBe('text');
    });

    test('delete says whether the key existed, and the key is gone', async () => {
      await store.set('user:1', { theme: 'dark' });
      expect(await store.delete('user:1')).toBe(true);
      expect(await store.delete('user:1')).toBe(false);
      expect(await store.get('user:1')).toBeUndefined();
    });

    test('keys lists sorted keys by literal prefix (% and _ are not wildcards)', async () => {
      for (const key of ['user:2', 'user:10', 'gpu-thresholds', 'user_x', 'user:local']) await store.set(key, 1);
      expect(await store.keys('user:')).toEqual(['user:10', 'user:2', 'user:local']);
      expect(await store.keys('user_')).toEqual(['user_x']);
      expect(await store.keys('%')).toEqual([]);
      expect(await store.keys()).toEqual(['gpu-thresholds', 'user:10', 'user:2', 'user:local', 'user_x']);
    });

    test('a key with __proto__ in its value cannot alter prototypes', async () => {
      await store.set('p', JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}'));
      const read = (await store.get('p')) as Record<string, unknown>;
      expect(read).toStrictEqual({ ok: 1 });
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    test('an empty, over-long or control-character key is a ValidationError', async () => {
      for (const key of ['', 'x'.repeat(201), 'a\nb']) {
        await expect(store.set(key, 1), JSON.stringify(key)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
        await expect(store.get(key)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      }
    });
  });
}
