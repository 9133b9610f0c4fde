import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { startCheckpointUploads } from './checkpoints.js';
import { createAgentHttp } from './http.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('checkpoint uploads', () => {
  let dir: string;
  let server: Server;
  let url: string;
  const bodies: string[] = [];
  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'ckpt-'));
    mkdirSync(path.join(dir, 'weights'));
    bodies.length = 0;
    // A real HTTP server at the network edge: it records each multipart body it receives.
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push(Buffer.concat(chunks).toString('latin1'));
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ success: true, code: 200, msg: 'ok' }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const write = (epoch: number) => {
    const file = path.join(dir, 'weights', 'last.pt');
    writeFileSync(`${file}.tmp`, JSON.stringify({ epoch, pad: 'x'.repeat(epoch) }));
    renameSync(`${file}.tmp`, file);
  };

  test('epochs shorter than the settle time still get a mid-run upload: the quiet time follows a third of an epoch', async () => {
    const uploads = startCheckpointUploads({
      taskId: 'job1', attempt: 1, http: createAgentHttp({ serverUrl: url }), runDir: () => dir, intervalMs: 0, settleMs: 1000, log: () => {},
    });
    // a trainer rewriting last.pt every 240 ms: a fixed 1 s quiet time would never see it still
    for (let epoch = 1; epoch <= 10; epoch++) {
      write(epoch);
      uploads.epochEnded();
      await sleep(240);
    }
    const midRun = bodies.length;
    await uploads.finish();
    expect(midRun).toBeGreaterThanOrEqual(1);
    expect(bodies.at(-1)).toContain('"epoch":10');
  });
});
