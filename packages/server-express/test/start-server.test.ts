import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient } from '@yoloops/client';
import { reachableUrl, startServer, type RunningServer } from '@yoloops/server-express';
import { afterEach, describe, expect, test } from 'vitest';
import { fixturePath, zipDirectory } from '../../../test/support/fixtures.js';
import { waitFor } from './support/training.js';

const dirs: string[] = [];
const servers: RunningServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function serve(options: { publicUrl?: string } = {}) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'yoloops-start-'));
  dirs.push(dataDir);
  // A trainer that cannot start, so nothing trains: only the argv each job is started with matters here.
  const server = await startServer({ dataDir, port: 0, host: '127.0.0.1', jobs: { trainerCommand: { train: ['yolo-missing-here-7c1'], resume: ['yolo-missing-here-7c1'] } }, ...options });
  servers.push(server);
  return server;
}

async function firstJobCommand(server: RunningServer): Promise<string[]> {
  const client = createClient({ baseUrl: server.url });
  const { dataset_id } = await client.datasets.upload({ data: await zipDirectory(fixturePath('datasets/coco8')), filename: 'coco8.zip' });
  await client.datasets.prepare(dataset_id);
  const { job_id } = await client.training.create({ dataset_id, epochs: 1 });
  // Recorded when it turns running (with or without a built agent in this checkout), before anything is spawned.
  const job = await waitFor(() => client.training.get(job_id), (j) => j.command.length > 0);
  await client.training.stop(job_id).catch(() => undefined);
  return job.command;
}

describe('startServer', () => {
  test.each([
    ['0.0.0.0', 8123, 'http://127.0.0.1:8123'],
    ['::', 8123, 'http://[::1]:8123'],
    ['192.168.1.20', 80, 'http://192.168.1.20:80'],
    ['fe80::1', 9000, 'http://[fe80::1]:9000'],
    ['localhost', 1, 'http://localhost:1'],
  ])('a server bound to %s:%i is reached at %s', (host, port, want) => {
    expect(reachableUrl(host, port)).toBe(want);
  });

  test('agents report to the port really bound (an ephemeral one here), not to 8000', async () => {
    const server = await serve();
    expect(server.agentUrl).toBe(server.url);
    expect(server.url).not.toMatch(/:8000$/);
    const command = await firstJobCommand(server);
    expect(command[command.indexOf('--server') + 1]).toBe(server.url);
  });

  test('YOLOOPS_PUBLIC_URL (publicUrl) is what agents report to when trainers reach the server under another name', async () => {
    const server = await serve({ publicUrl: 'http://trainer-gateway.internal:9999/yoloops' });
    expect(server.agentUrl).toBe('http://trainer-gateway.internal:9999/yoloops');
    const command = await firstJobCommand(server);
    expect(command[command.indexOf('--server') + 1]).toBe('http://trainer-gateway.internal:9999/yoloops');
  });
});
