import type pg from 'pg';
import type { LogBus, LogBusListener, LogBusMessage } from '../../jobs/log-bus.port.js';
import { loadPg, type PostgresQueryable } from './postgres-database.js';

/** Options of {@link createPostgresLogBus}. */
export interface PostgresLogBusOptions {
  /** The server to LISTEN on (`YOLOOPS_DATABASE_URL`): the bus keeps one connection of its own for it. */
  url: string;
  /** Where NOTIFY is sent (the platform's pool); default a client of the bus's own. */
  db?: PostgresQueryable;
  /** Channel (default `yoloops_logs`); servers of one deployment must share it. */
  channel?: string;
  /** Wait before reconnecting the listening connection (default 1000 ms, doubling to 30 s). */
  reconnectMs?: number;
  /** Where connection trouble is reported (default: nowhere). */
  onError?: (error: Error) => void;
}

/** NOTIFY payloads must stay under 8000 bytes: only a pointer travels, never the lines. */
const MAX_PAYLOAD = 7900;

interface Pointer {
  j: string;
  a: number;
  o?: number;
  e?: number;
}

function parsePointer(raw: string | undefined): Pointer | undefined {
  try {
    const value = JSON.parse(raw ?? '') as Pointer;
    return typeof value.j === 'string' && Number.isSafeInteger(value.a) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The log bus on PostgreSQL LISTEN/NOTIFY (servers sharing a database and no Redis). A message is a
 * pointer `{job, attempt, offset, end}` (NOTIFY's payload limit): subscribers read the lines from the
 * shared stored log. One dedicated connection LISTENs; when it breaks (server restart, terminated
 * backend) it reconnects with backoff and LISTENs again. Notifications sent while it was away are lost,
 * which a stream covers by reading the stored log at its offset.
 * @example const bus = createPostgresLogBus({ url: 'postgres://yoloops:secret@db:5432/yoloops', db: pool });
 */
export function createPostgresLogBus(options: PostgresLogBusOptions): LogBus {
  const channel = options.channel ?? 'yoloops_logs';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) throw new TypeError(`channel must be a lower-case identifier (got ${JSON.stringify(channel)})`);
  const report = (error: Error) => options.onError?.(error);
  const listeners = new Map<string, Set<LogBusListener>>();
  let listener: pg.Client | undefined;
  let connecting: Promise<void> | undefined;
  let closed = false;
  let delay = options.reconnectMs ?? 1000;
  let timer: NodeJS.Timeout | undefined;
  let notifier: pg.Client | undefined;

  const deliver = (message: pg.Notification) => {
    const pointer = message.channel === channel ? parsePointer(message.payload) : undefined;
    const set = pointer && listeners.get(pointer.j);
    if (!pointer || !set) return;
    const out: LogBusMessage = { attempt: pointer.a, ...(pointer.o === undefined ? {} : { offset: pointer.o }), ...(pointer.e === undefined ? {} : { end: pointer.e }) };
    for (const fn of [...set]) {
      try {
        fn(out);
      } catch {
        // A failing listener does not keep the others from hearing the message.
      }
    }
  };
  const scheduleReconnect = () => {
    if (closed || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void listen().catch(() => undefined);
    }, delay);
    timer.unref();
    delay = Math.min(delay * 2, 30_000);
  };
  async function connectListener(): Promise<void> {
    const pg = await loadPg();
    const client = new pg.Client({ connectionString: options.url });
    const lost = (error?: Error) => {
      if (error) report(error);
      if (listener !== client) return;
      listener = undefined;
      client.removeAllListeners('notification');
      void client.end().catch(() => undefined);
      scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', deliver);
    await client.connect();
    await client.query(`LISTEN ${channel}`);
    if (closed) return void (await client.end());
    listener = client;
    delay = options.reconnectMs ?? 1000;
  }
  /** Connects and LISTENs once at a time; a failure schedules another try and rejects. */
  function listen(): Promise<void> {
    if (listener || closed) return Promise.resolve();
    connecting ??= connectListener().catch((error: unknown) => {
      report(error as Error);
      scheduleReconnect();
      throw error;
    }).finally(() => (connecting = undefined));
    return connecting;
  }
  async function notify(payload: string): Promise<void> {
    if (options.db) return void (await options.db.query('SELECT pg_notify($1, $2)', [channel, payload]));
    if (!notifier) {
      const pg = await loadPg();
      const client = new pg.Client({ connectionString: options.url });
      client.on('error', (error) => {
        report(error);
        if (notifier === client) notifier = undefined;
      });
      await client.connect();
      notifier = client;
    }
    await notifier.query('SELECT pg_notify($1, $2)', [channel, payload]);
  }

  return {
    async publish(jobId, message) {
      const payload = JSON.stringify({ j: jobId, a: message.attempt, o: message.offset, e: message.end } satisfies Pointer);
      if (Buffer.byteLength(payload) > MAX_PAYLOAD) return;
      await notify(payload);
    },
    async subscribe(jobId, fn) {
      const set = listeners.get(jobId) ?? new Set<LogBusListener>();
      set.add(fn);
      listeners.set(jobId, set);
      // A server that cannot LISTEN still streams (from the stored log); it keeps trying in the background.
      await listen().catch(() => undefined);
      return () => {
        set.delete(fn);
        if (set.size === 0 && listeners.get(jobId) === set) listeners.delete(jobId);
      };
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      listeners.clear();
      await connecting?.catch(() => undefined);
      await Promise.all([listener?.end(), notifier?.end()].map((p) => p?.catch(() => undefined)));
      listener = undefined;
      notifier = undefined;
    },
  };
}
