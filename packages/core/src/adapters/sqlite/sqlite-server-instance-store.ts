import type { ServerInstance, ServerInstanceStore } from '../../servers/server-instance-store.port.js';
import { parseStoredJson, type SqliteDatabase } from './sqlite-database.js';

/**
 * `ServerInstanceStore` on the `server_instances` table (id, last heartbeat, the record as JSON).
 * @example const servers = createSqliteServerInstanceStore(openSqliteDatabase('data/yoloops.db'));
 */
export function createSqliteServerInstanceStore(db: SqliteDatabase): ServerInstanceStore {
  const upsert = db.prepare<[string, string, string]>(
    'INSERT INTO server_instances (instance_id, last_heartbeat, data) VALUES (?, ?, ?) ON CONFLICT (instance_id) DO UPDATE SET last_heartbeat = excluded.last_heartbeat, data = excluded.data',
  );
  const all = db.prepare<[], { data: string }>('SELECT data FROM server_instances ORDER BY instance_id');
  const drop = db.prepare<[string]>('DELETE FROM server_instances WHERE instance_id = ?');
  const forget = db.prepare<[string]>('DELETE FROM server_instances WHERE last_heartbeat < ?');
  return {
    async heartbeat(instance) {
      upsert.run(instance.instance_id, instance.last_heartbeat, JSON.stringify(instance));
    },
    list: async () => all.all().map((row) => parseStoredJson<ServerInstance>(row.data)),
    remove: async (instanceId) => drop.run(instanceId).changes > 0,
    forgetStaleAfter: async (before) => forget.run(before).changes,
  };
}
