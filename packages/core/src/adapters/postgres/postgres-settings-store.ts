import type { Clock } from '../../platform/clock.port.js';
import { systemClock } from '../../platform/clock.port.js';
import { parseStoredJson } from '../../platform/safe-json.js';
import { checkSettingsKey } from '../../settings/settings-key.js';
import type { SettingsStore, SettingValue } from '../../settings/settings-store.port.js';
import type { PostgresDatabase } from './postgres-database.js';

/**
 * `SettingsStore` on PostgreSQL (`settings` from migration 002: key, JSON text value, ISO `updated_at`), as on SQLite.
 * @example const settings = createPostgresSettingsStore(await openPgliteDatabase());
 */
export function createPostgresSettingsStore(db: PostgresDatabase, clock: Clock = systemClock): SettingsStore {
  return {
    async get(key) {
      checkSettingsKey(key);
      const { rows } = await db.query<{ value: string }>('SELECT value FROM settings WHERE key = $1', [key]);
      return rows[0] === undefined ? undefined : parseStoredJson<SettingValue>(rows[0].value);
    },
    async set(key, value) {
      checkSettingsKey(key);
      await db.query(
        `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
        [key, JSON.stringify(value), clock.now().toISOString()],
      );
    },
    async delete(key) {
      checkSettingsKey(key);
      return (await db.query('DELETE FROM settings WHERE key = $1 RETURNING key', [key])).rows.length > 0;
    },
    async keys(prefix = '') {
      // starts_with is a literal prefix (a `%` or `_` in it is no wildcard); sorted here as SQLite's adapter does.
      const { rows } = await db.query<{ key: string }>('SELECT key FROM settings WHERE starts_with(key, $1)', [prefix]);
      return rows.map((r) => r.key).sort();
    },
  };
}
