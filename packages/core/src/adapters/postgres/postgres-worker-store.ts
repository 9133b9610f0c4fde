import type { WorkerStore } from '../../workers/worker-store.port.js';
import type { WorkerRecord } from '../../workers/worker.schema.js';
import { parseStoredJson } from '../../platform/safe-json.js';
import type { PostgresDatabase } from './postgres-database.js';

/**
 * `WorkerStore` on PostgreSQL (`workers` of migration 004): one row per worker, its record as JSON text.
 * @example const workers = createPostgresWorkerStore(await openPgliteDatabase());
 */
export function createPostgresWorkerStore(db: PostgresDatabase): WorkerStore {
  return {
    async heartbeat(record) {
      await db.query(
        `INSERT INTO workers (worker_id, last_heartbeat, data) VALUES ($1, $2, $3)
         ON CONFLICT (worker_id) DO UPDATE SET last_heartbeat = excluded.last_heartbeat, data = excluded.data`,
        [record.worker_id, record.last_heartbeat, JSON.stringify(record)],
      );
    },
    async get(workerId) {
      const { rows } = await db.query<{ data: string }>('SELECT data FROM workers WHERE worker_id = $1', [workerId]);
      return rows[0] === undefined ? undefined : parseStoredJson<WorkerRecord>(rows[0].data);
    },
    async list() {
      const { rows } = await db.query<{ data: string }>('SELECT data FROM workers ORDER BY worker_id COLLATE "C"');
      return rows.map((row) => parseStoredJson<WorkerRecord>(row.data));
    },
    async forgetStaleAfter(before) {
      const { rows } = await db.query('DELETE FROM workers WHERE last_heartbeat < $1 RETURNING worker_id', [before]);
      return rows.length;
    },
  };
}
