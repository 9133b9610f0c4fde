import type { WorkerStore } from '../../workers/worker-store.port.js';
import type { WorkerRecord } from '../../workers/worker.schema.js';
import { parseStoredJson, type SqliteDatabase } from './sqlite-database.js';

/**
 * `WorkerStore` on the `workers` table (id, last heartbeat, the record as JSON).
 * @example const workers = createSqliteWorkerStore(openSqliteDatabase('data/yoloops.db'));
 */
export function createSqliteWorkerStore(db: SqliteDatabase): WorkerStore {
  const upsert = db.prepare<[string, string, string]>(
    'INSERT INTO workers (worker_id, last_heartbeat, data) VALUES (?, ?, ?) ON CONFLICT (worker_id) DO UPDATE SET last_heartbeat = excluded.last_heartbeat, data = excluded.data',
  );
  const select = db.prepare<[string], { data: string }>('SELECT data FROM workers WHERE worker_id = ?');
  const all = db.prepare<[], { data: string }>('SELECT data FROM workers ORDER BY worker_id');
  const forget = db.prepare<[string]>('DELETE FROM workers WHERE last_heartbeat < ?');
  return {
    async heartbeat(record) {
      upsert.run(record.worker_id, record.last_heartbeat, JSON.stringify(record));
    },
    async get(workerId) {
      const row = select.get(workerId);
      return row === undefined ? undefined : parseStoredJson<WorkerRecord>(row.data);
    },
    list: async () => all.all().map((row) => parseStoredJson<WorkerRecord>(row.data)),
    forgetStaleAfter: async (before) => forget.run(before).changes,
  };
}
