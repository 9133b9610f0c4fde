/**
 * What one append to a job's stored log carried: the attempt that shipped it, its cleaned lines, and
 * where they sit in the log blob (`offset` = byte position of the first line, `end` = just after the last).
 * A bus that cannot carry the lines (PostgreSQL NOTIFY's 8000-byte payload) sends none: the subscriber
 * reads `[offset, end)` from the shared log instead.
 */
export interface LogBusMessage {
  attempt: number;
  lines?: readonly string[];
  offset?: number;
  end?: number;
}

/** Called for each message of a job, in publish order for one publisher. */
export type LogBusListener = (message: LogBusMessage) => void;

/**
 * Fan-out of "lines were appended to job X's log" between the server replicas: the replica that stored
 * the lines publishes, every replica's `/logs/stream` of that job hears it. Delivery is best effort
 * (a subscriber that misses a message reads the stored log at its offset), never a store of record.
 */
export interface LogBus {
  /** Tells every subscriber of `jobId` (on any replica) that lines were appended. */
  publish(jobId: string, message: LogBusMessage): Promise<void>;
  /** Listens to `jobId`'s messages until the returned function is called; resolves once listening. */
  subscribe(jobId: string, listener: LogBusListener): Promise<() => void>;
  /** Stops listening and closes connections. */
  close(): Promise<void>;
}
