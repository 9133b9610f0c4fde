import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { LogBus } from '@yoloops/core';
import { createNodePlatform, type NodePlatform } from '@yoloops/core/node';
import { createApp } from '@yoloops/server-express';
import { request } from 'undici';
import { expect } from 'vitest';
import { jsonInit, rawRequest } from './http.js';

/** One server replica: its own platform and HTTP server on the shared data root, with its own end of the bus. */
export interface Replica {
  url: string;
  platform: NodePlatform;
  http: Server;
}

/** Starts a replica on `dataDir` whose log bus is `logBus` (undefined: the one the platform picks, e.g. on the dispatch Redis `redisUrl`). */
export async function startReplica(dataDir: string, logBus: LogBus | undefined, redisUrl?: string): Promise<Replica> {
  const platform = await createNodePlatform({
    dataDir, ...(logBus ? { logBus } : {}), database: false, generation: { llama: false },
    jobs: { agentCommand: null, watchdogMs: 600_000, dispatch: redisUrl === undefined ? false : { redisUrl } },
  });
  const http = await new Promise<Server>((resolve) => {
    const s = createApp({ services: platform, rateLimits: false }).listen(0, '127.0.0.1', () => resolve(s));
  });
  return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, platform, http };
}

/** Stops the replicas' servers and platforms, then closes the buses and removes the data root. */
export async function stopReplicas(replicas: readonly (Replica | undefined)[], buses: readonly LogBus[], dataDir: string): Promise<void> {
  for (const r of replicas) {
    if (r === undefined) continue;
    r.http.closeAllConnections();
    await new Promise<void>((resolve) => r.http.close(() => resolve()));
    await r.platform.close();
  }
  for (const bus of buses) await bus.close();
  rmSync(dataDir, { recursive: true, force: true });
}

export const replicaDataDir = () => mkdtempSync(path.join(tmpdir(), 'yoloops-replicas-'));

/** Follows an SSE stream until it ends; resolves with its `data:` payloads. */
async function followSse(url: string, onEvent: (count: number) => void): Promise<string[]> {
  const res = await request(url, { signal: AbortSignal.timeout(30_000) });
  const events: string[] = [];
  let buffer = '';
  for await (const chunk of res.body) {
    buffer += (chunk as Buffer).toString('utf8');
    let at: number;
    while ((at = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, at);
      buffer = buffer.slice(at + 2);
      for (const line of block.split('\n')) if (line.startsWith('data: ')) events.push(line.slice(6));
      onEvent(events.length);
    }
  }
  return events;
}

const post = (r: Replica, p: string, body: unknown) => rawRequest(r.url, 'POST', p, jsonInit(body));

/**
 * Ships 60 batches of 7 lines for one job alternately to replica `a` and `b` (every tenth retried on the
 * other one) while a `/logs/stream` on `b` follows, then completes the job: the stream must hold the last
 * lines of the log, in order, each once, and end with the job. `afterBatch` runs after each followed batch (faults).
 */
export async function expectStreamAcrossReplicas(a: Replica, b: Replica, id: string, afterBatch?: (seq: number) => Promise<void>): Promise<void> {
  expect((await post(a, '/api/model/train/notify/status', { trainTaskId: id, statusType: 2 })).json).toMatchObject({ success: true });
  const ship = (seq: number, lines: string[], on = seq % 2 === 0 ? a : b) => post(on, `/api/agent/tasks/${id}/logs`, { attempt: 1, seq, lines });
  const want: string[] = [];
  const batch = (seq: number) => Array.from({ length: 7 }, (_, i) => `batch ${seq} line ${i}`);
  for (let seq = 1; seq <= 10; seq++) {
    want.push(...batch(seq));
    await ship(seq, batch(seq));
  }
  // The stream starts with the last 50 stored lines, then follows; batches keep arriving while it reads.
  let heard = 0;
  const stream = followSse(`${b.url}/logs/stream?job_id=${id}`, (n) => (heard = n));
  for (let seq = 11; seq <= 60; seq++) {
    want.push(...batch(seq));
    expect((await ship(seq, batch(seq))).json).toMatchObject({ success: true, data: { stored: true } });
    if (seq === 11) while (heard === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    // A retried batch (lost acknowledgement) on the other replica stores nothing twice.
    if (seq % 10 === 0) expect((await ship(seq, batch(seq), seq % 2 === 0 ? b : a)).json).toMatchObject({ data: { stored: false } });
    await afterBatch?.(seq);
  }
  expect((await post(a, '/api/model/train/notify/status', { trainTaskId: id, statusType: 3 })).json).toMatchObject({ success: true });
  const events = await stream;
  expect(events).toEqual(want.slice(want.length - events.length));
  // The first read may already hold batch 11 (the loop waits for the stream's first event after shipping it).
  expect(events.length).toBeGreaterThanOrEqual(50 + 49 * 7);
  expect((await rawRequest(a.url, 'GET', `/logs/lines?job_id=${id}&n=0`)).json).toMatchObject({ lines: want, total: want.length });
}
