import type { Clock } from '../../platform/clock.port.js';
import { systemClock } from '../../platform/clock.port.js';
import { checkSettingsKey } from '../../settings/settings-key.js';
import type { SettingsStore, SettingValue } from '../../settings/settings-store.port.js';
import { parseStoredJson, type SqliteDatabase } from './sqlite-database.js';

/**
 * `SettingsStore` on the `settings` table (key, JSON value, updated_at).
 * @example const settings = createSqliteSettingsStore(openSqliteDatabase('data/yoloops.db'));
 */
export function createSqliteSettingsStore(db: SqliteDatabase, clock: Clock = systemClock): SettingsStore {
  const select = db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?');
  const upsert = db.prepare<[string, string, string]>(
    'INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
  );
  const remove = db.prepare<[string]>('DELETE FROM settings WHERE key = ?');
  const list = db.prepare<[], { key: string }>('SELECT key FROM settings ORDER BY key');
  return {
    async get(key) {
      checkSettingsKey(key);
      const row = select.get(key);
      return row === undefined ? undefined : parseStoredJson<SettingValue>(row.value);
    },
    async set(key, value) {
      checkSettingsKey(key);
      upsert.run(key, JSON.stringify(value), clock.now().toISOString());
    },
    async delete(key) {
      checkSettingsKey(key);
      return remove.run(key).changes > 0;
    },
    async keys(prefix = '') {
      // Filtered here, not with LIKE: a prefix may hold `%` or `_`.
      return list.all().map((r) => r.key).filter((k) => k.startsWith(prefix)).sort();
    },
  };
}
