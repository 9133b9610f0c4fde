import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient, type YoloopsClient } from '@yoloops/client';
import { createNodePlatform, type NodePlatform } from '@yoloops/core/node';
import { createApp, type CreateAppOptions } from '@yoloops/server-express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fixturePath, REPO_ROOT, zipDirectory } from '../../../../test/support/fixtures.js';
import { jsonInit, rawRequest } from './http.js';

export const SCRIPTED_TRAINER = path.join(REPO_ROOT, 'packages/core/test/fixtures/scripted-trainer.mjs');
const KEYS = ['data={data}', 'model={model}', 'epochs={epochs}', 'imgsz={imgsz}', 'batch={batch}', 'project={project}', 'name={name}', 'exist_ok=True'];

export interface TrainingServer {
  url: string;
  dataDir: string;
  client: YoloopsClient;
  platform: NodePlatform;
  datasetId: string;
  post(path: string, body?: unknown): Promise<{ status: number; json: any }>;
  get(path: string): Promise<{ status: number; json: any }>;
  del(path: string): Promise<{ status: number; json: any }>;
  close(): Promise<void>;
}

/** The real server running the scripted trainer directly (no agent), with COCO8 uploaded and prepared. */
export async function startTrainingServer(options: { epochMs: number; concurrency?: number; rateLimits?: CreateAppOptions['rateLimits'] }): Promise<TrainingServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'yoloops-train-'));
  const platform = await createNodePlatform({
    dataDir,
    jobs: {
      agentCommand: null, concurrency: options.concurrency ?? 1, stopGraceMs: 2000, watchdogMs: 60_000,
      env: { SCRIPTED_TRAINER_EPOCH_MS: String(options.epochMs) },
      trainerCommand: {
        train: [process.execPath, SCRIPTED_TRAINER, 'detect', 'train', ...KEYS],
        resume: [process.execPath, SCRIPTED_TRAINER, 'detect', 'train', 'resume', 'model={model}'],
      },
    },
  });
  const http = await new Promise<Server>((resolve) => {
    // Rate limits off unless asked for: these tests poll every 50 ms, far past 120 requests a minute.
    const s = createApp({ services: platform, rateLimits: options.rateLimits ?? false }).listen(0, '127.0.0.1', () => resolve(s));
  });
  const server = { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` };
  const client = createClient({ baseUrl: server.url });
  const { dataset_id } = await client.datasets.upload({ data: await zipDirectory(fixturePath('datasets/coco8')), filename: 'coco8.zip' });
  await client.datasets.prepare(dataset_id);
  const call = async (method: 'GET' | 'POST' | 'DELETE', p: string, body?: unknown) => {
    const res = await rawRequest(server.url, method, p, body === undefined ? {} : jsonInit(body));
    return { status: res.status, json: res.json as any };
  };
  return {
    url: server.url, dataDir, client, platform, datasetId: dataset_id,
    post: (p, body) => call('POST', p, body ?? {}),
    get: (p) => call('GET', p),
    del: (p) => call('DELETE', p),
    async close() {
      const { json } = await call('GET', '/train/jobs');
      for (const job of (json?.jobs ?? []) as Array<{ job_id: string; status: string }>) {
        if (job.status === 'queued' || job.status === 'running') await call('POST', `/train/jobs/${job.job_id}/stop`);
      }
      await client.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      platform.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls `read` until `done` holds (every 50 ms, at most `timeoutMs`); returns the last value. */
export async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * A training server whose only trainer slot is held by a long job (epochs take a minute), so every
 * other job stays queued: what a trainer's reports and uploads are tested on without a process.
 */
export async function startBlockedTrainingServer(): Promise<{ t: TrainingServer; queuedJob(): Promise<string> }> {
  const t = await startTrainingServer({ epochMs: 60_000 });
  const blocker = (await t.post('/train/jobs', { dataset_id: t.datasetId, epochs: 2 })).json.job_id as string;
  await waitFor(async () => (await t.get(`/train/jobs/${blocker}`)).json, (j) => j.status === 'running');
  return {
    t,
    async queuedJob() {
      const { json } = await t.post('/train/jobs', { dataset_id: t.datasetId, epochs: 5 });
      if (json.status !== 'queued') throw new Error(`expected a queued job, got ${JSON.stringify(json)}`);
      return json.job_id as string;
    },
  };
}
