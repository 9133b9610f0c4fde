import { storedCopy } from '../../platform/safe-json.js';
import { checkSettingsKey } from '../../settings/settings-key.js';
import type { SettingsStore, SettingValue } from '../../settings/settings-store.port.js';

/**
 * `SettingsStore` on a map, copying values in and out as a JSON store would.
 * @example const settings = createMemorySettingsStore();
 */
export function createMemorySettingsStore(): SettingsStore {
  const values = new Map<string, SettingValue>();
  return {
    async get(key) {
      checkSettingsKey(key);
      const value = values.get(key);
      return value === undefined ? undefined : storedCopy(value);
    },
    async set(key, value) {
      checkSettingsKey(key);
      values.set(key, storedCopy(value));
    },
    async delete(key) {
      checkSettingsKey(key);
      return values.delete(key);
    },
    async keys(prefix = '') {
      return [...values.keys()].filter((k) => k.startsWith(prefix)).sort();
    },
  };
}
