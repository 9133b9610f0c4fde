import type { Request, Response } from 'express';

/** An open Server-Sent Events response; every timer and listener is gone once `closed`. */
export interface SseChannel {
  readonly closed: boolean;
  /** Sends one unnamed `data:` event per line (a line must not contain CR or LF). */
  send(line: string): Promise<void>;
  /** Waits `ms`, or less when the client goes away. */
  sleep(ms: number): Promise<void>;
  /** Ends the response and releases everything. */
  end(): void;
}

/**
 * Starts an SSE response (`text/event-stream; charset=utf-8`, no buffering by proxies) with a
 * `: ping` comment every `heartbeatMs` (default 15 s) so idle connections survive proxies. A client
 * disconnect closes the channel: the heartbeat timer, the close listener and pending sleeps are released.
 */
export function openSse(req: Request, res: Response, options: { heartbeatMs?: number } = {}): SseChannel {
  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-cache, no-transform');
  res.setHeader('Connection', 'keep-alive');
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
  let closed = false;
  const wakers = new Set<() => void>();
  const heartbeat = setInterval(() => {
    if (!closed) res.write(': ping\n\n');
  }, options.heartbeatMs ?? 15_000);
  const release = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    req.off('close', release);
    res.off('close', release);
    for (const wake of wakers) wake();
    wakers.clear();
  };
  req.on('close', release);
  res.on('close', release);
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (closed) return resolve();
      const wake = () => {
        clearTimeout(timer);
        wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      wakers.add(wake);
    });
  return {
    get closed() {
      return closed;
    },
    async send(line) {
      if (closed) return;
      if (res.write(`data: ${line}\n\n`)) return;
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done);
          wakers.delete(done);
          resolve();
        };
        res.on('drain', done);
        wakers.add(done);
      });
    },
    sleep,
    end() {
      if (!closed) res.end();
      release();
    },
  };
}
