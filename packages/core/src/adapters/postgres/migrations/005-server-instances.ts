/** Migration 005: the servers sharing this database (one row per server instance: its last heartbeat and record as JSON text). */
export const MIGRATION_005: readonly string[] = [
  `CREATE TABLE server_instances (
     instance_id text PRIMARY KEY,
     last_heartbeat text COLLATE "C" NOT NULL,
     data text NOT NULL
   )`,
];
