import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createMemoryLogBus, type LogBus } from '@yoloops/core';
import { createNodePlatform, type NodePlatform } from '@yoloops/core/node';
import { createApp } from '@yoloops/server-express';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { jsonInit, rawRequest } from './support/http.js';

interface Replica {
  url: string;
  platform: NodePlatform;
  http: Server;
}

/** One server replica on the shared data root and the shared bus. */
async function startReplica(dataDir: string, logBus: LogBus): Promise<Replica> {
  const platform = await createNodePlatform({ dataDir, logBus, database: false, jobs: { agentCommand: null, watchdogMs: 600_000 }, generation: { llama: false } });
  const http = await new Promise<Server>((resolve) => {
    const s = createApp({ services: platform, rateLimits: false }).listen(0, '127.0.0.1', () => resolve(s));
  });
  return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, platform, http };
}

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

let dataDir: string;
let a: Replica;
let b: Replica;
beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'yoloops-replicas-'));
  const bus = createMemoryLogBus();
  a = await startReplica(dataDir, bus);
  b = await startReplica(dataDir, bus);
}, 30_000);
afterAll(async () => {
  for (const r of [a, b]) {
    r?.http.closeAllConnections();
    await new Promise<void>((resolve) => (r ? r.http.close(() => resolve()) : resolve()));
    await r?.platform.close();
  }
  rmSync(dataDir, { recursive: true, force: true });
});

const post = (r: Replica, p: string, body: unknown) => rawRequest(r.url, 'POST', p, jsonInit(body));

describe('/logs/stream across replicas (one data root, one log bus)', () => {
  test('lines shipped to replica A reach a stream on replica B in order, none lost or doubled, and the stream ends with the job', async () => {
    const id = '5ac1f00d5ac1f00d5ac1f00d5ac1f00d';
    expect((await post(a, '/api/model/train/notify/status', { trainTaskId: id, statusType: 2 })).json).toMatchObject({ success: true });
    const ship = (seq: number, lines: string[]) => post(seq % 2 === 0 ? a : b, `/api/agent/tasks/${id}/logs`, { attempt: 1, seq, lines });
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
      if (seq % 10 === 0) expect((await post(seq % 2 === 0 ? b : a, `/api/agent/tasks/${id}/logs`, { attempt: 1, seq, lines: batch(seq) })).json).toMatchObject({ data: { stored: false } });
    }
    expect((await post(a, '/api/model/train/notify/status', { trainTaskId: id, statusType: 3 })).json).toMatchObject({ success: true });
    const events = await stream;
    expect(events).toEqual(want.slice(want.length - events.length));
    expect(events.length).toBeGreaterThanOrEqual(50 + 50 * 7);
    expect((await rawRequest(a.url, 'GET', `/logs/lines?job_id=${id}&n=0`)).json).toMatchObject({ lines: want, total: want.length });
  });
});
