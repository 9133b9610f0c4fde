/** One running server process, as the servers sharing a database see it. */
export interface ServerInstance {
  /** Random id the server drew at start-up; work it starts carries it as its owner. */
  instance_id: string;
  hostname: string;
  pid: number;
  started_at: string;
  /** ISO time of its last heartbeat; silent longer than the liveness timeout = dead. */
  last_heartbeat: string;
}

/** The servers sharing one metadata database and their last heartbeats (it lives in that database). */
export interface ServerInstanceStore {
  /** Inserts or replaces the instance's record (its last heartbeat). */
  heartbeat(instance: ServerInstance): Promise<void>;
  /** Every known instance, by id. */
  list(): Promise<ServerInstance[]>;
  /** Removes one instance (a server that closes cleanly); true if it was there. */
  remove(instanceId: string): Promise<boolean>;
  /** Removes instances whose last heartbeat is older than `before` (ISO); returns how many went. */
  forgetStaleAfter(before: string): Promise<number>;
}
