import type { ServerInstance, ServerInstanceStore } from '../../servers/server-instance-store.port.js';
import { parseStoredJson } from '../../platform/safe-json.js';
import type { PostgresDatabase } from './postgres-database.js';

/**
 * `ServerInstanceStore` on PostgreSQL (`server_instances` of migration 005): one row per server, its record as JSON text.
 * @example const servers = createPostgresServerInstanceStore(await openPgliteDatabase());
 */
export function createPostgresServerInstanceStore(db: PostgresDatabase): ServerInstanceStore {
  return {
    async heartbeat(instance) {
      await db.query(
        `INSERT INTO server_instances (instance_id, last_heartbeat, data) VALUES ($1, $2, $3)
         ON CONFLICT (instance_id) DO UPDATE SET last_heartbeat = excluded.last_heartbeat, data = excluded.data`,
        [instance.instance_id, instance.last_heartbeat, JSON.stringify(instance)],
      );
    },
    async list() {
      const { rows } = await db.query<{ data: string }>('SELECT data FROM server_instances ORDER BY instance_id COLLATE "C"');
      return rows.map((row) => parseStoredJson<ServerInstance>(row.data));
    },
    remove: async (instanceId) =>
      (await db.query('DELETE FROM server_instances WHERE instance_id = $1 RETURNING instance_id', [instanceId])).rows.length > 0,
    async forgetStaleAfter(before) {
      const { rows } = await db.query('DELETE FROM server_instances WHERE last_heartbeat < $1 RETURNING instance_id', [before]);
      return rows.length;
    },
  };
}
