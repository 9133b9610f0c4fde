/** Migration 004: the worker registry of dispatch mode (one row per worker: its last heartbeat and record as JSON text). */
export const MIGRATION_004: readonly string[] = [
  `CREATE TABLE workers (
     worker_id text PRIMARY KEY,
     last_heartbeat text COLLATE "C" NOT NULL,
     data text NOT NULL
   )`,
  'CREATE INDEX workers_by_heartbeat ON workers (last_heartbeat)',
];
