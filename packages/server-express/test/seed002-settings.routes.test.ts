import { mkdtempSync, readFileSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient, type YoloopsClient } from '@yoloops/client';
import { databaseOptionsFromEnv, MIGRATIONS, POSTGRES_MIGRATIONS } from '@yoloops/core/node';
import { startServer, type RunningServer, type StartServerOptions } from '@yoloops/server-express';
import { afterAll, describe, expect, test } from 'vitest';
import { writeFakeNvidiaSmi } from '../../../test/support/nvidia-smi.js';
import { startAuthServer } from './support/auth.js';
import { expectApiError, rawRequest } from './support/http.js';

const root = mkdtempSync(path.join(tmpdir(), 'yoloops-settings-'));
const smi = writeFakeNvidiaSmi();
const running: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const r of running.reverse()) await r.close();
  smi.remove();
  rmSync(root, { recursive: true, force: true });
});

let n = 0;
async function serve(options: Partial<StartServerOptions> & { dataDir?: string } = {}): Promise<{ server: RunningServer; client: YoloopsClient; dataDir: string; stop(): Promise<void> }> {
  const dataDir = options.dataDir ?? path.join(root, `data-${n++}`);
  const server = await startServer({ port: 0, host: '127.0.0.1', rateLimits: false, gpu: { nvidiaSmi: smi.program }, ...options, dataDir });
  const client = createClient({ baseUrl: server.url });
  const stop = async () => {
    await client.close();
    await server.close();
  };
  running.push({ close: () => stop().catch(() => undefined) });
  return { server, client, dataDir, stop };
}
const serverVersion = (JSON.parse(readFileSync(path.join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;

describe('/api/v1/settings/gpu-thresholds and /settings/user', () => {
  test('start at the origin\'s defaults, store what is posted, and keep it across a restart on the same data root', async () => {
    const first = await serve();
    expect(await first.client.settings.gpuThresholds()).toStrictEqual({ warning_utilization: 80, critical_utilization: 95, warning_memory: 80, critical_memory: 95 });
    // as the origin's pydantic model: a field left out takes its default
    expect(await first.client.settings.setGpuThresholds({ warning_utilization: 70, critical_memory: 90 })).toStrictEqual({
      warning_utilization: 70, critical_utilization: 95, warning_memory: 80, critical_memory: 90,
    });
    expect(await first.client.settings.user()).toStrictEqual({
      theme: 'light', language: 'zh-CN', notifications: true, default_project: null, gpu_alerts: true, task_completion_alerts: true,
    });
    await first.client.settings.updateUser({ theme: 'dark' });
    expect(await first.client.settings.updateUser({ language: 'en-US', default_project: 2 })).toMatchObject({ theme: 'dark', language: 'en-US', default_project: 2, notifications: true });
    await first.stop();
    const second = await serve({ dataDir: first.dataDir });
    expect(await second.client.settings.gpuThresholds()).toStrictEqual({ warning_utilization: 70, critical_utilization: 95, warning_memory: 80, critical_memory: 90 });
    expect(await second.client.settings.user()).toMatchObject({ theme: 'dark', language: 'en-US', default_project: 2 });
  });

  test('invalid values are FastAPI 422s naming the field, and nothing is stored', async () => {
    const { server, client } = await serve();
    const post = (body: unknown, method: 'POST' | 'PUT' = 'POST', p = '/api/v1/settings/gpu-thresholds') =>
      rawRequest(server.url, method, p, { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    for (const [body, field] of [
      [{ warning_memory: 99, critical_memory: 90 }, 'warning_memory'], [{ critical_utilization: 101 }, 'critical_utilization'],
      [{ warning_utilization: '80' }, 'warning_utilization'], [{ warning_utilization: 50.5 }, 'warning_utilization'],
    ] as const) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect((res.json as { detail: { loc: string[] }[] }).detail[0]?.loc).toEqual(['body', field]);
    }
    for (const body of [{ theme: 'neon' }, { language: 'zh CN; DROP' }, { colour: 'red' }, { default_project: 0 }]) {
      expect((await post(body, 'PUT', '/api/v1/settings/user')).status, JSON.stringify(body)).toBe(422);
    }
    expect(await client.settings.gpuThresholds()).toMatchObject({ warning_utilization: 80, critical_memory: 95 });
    expect(await client.settings.user()).toMatchObject({ theme: 'light', language: 'zh-CN', default_project: null });
  });

  test('with auth required: each user has their own preferences; only an admin changes the thresholds', async () => {
    const auth = await startAuthServer({ gpu: { nvidiaSmi: smi.program } });
    running.push(auth);
    const alice = await auth.member('alice');
    const bob = await auth.member('bob');
    const as = (token: string) => createClient({ baseUrl: auth.url, token });
    const [a, b, admin] = [as(alice.token), as(bob.token), as(auth.adminToken)];
    await a.settings.updateUser({ theme: 'dark', gpu_alerts: false });
    expect(await a.settings.user()).toMatchObject({ theme: 'dark', gpu_alerts: false });
    expect(await b.settings.user()).toMatchObject({ theme: 'light', gpu_alerts: true });
    expect(await admin.settings.user()).toMatchObject({ theme: 'light' });
    await expectApiError(a.settings.setGpuThresholds({ warning_utilization: 10 }), 403);
    expect(await admin.settings.setGpuThresholds({ warning_utilization: 10 })).toMatchObject({ warning_utilization: 10 });
    expect(await b.settings.gpuThresholds()).toMatchObject({ warning_utilization: 10 });
    // only /api/v1/health is public
    expect((await rawRequest(auth.url, 'GET', '/api/v1/health')).status).toBe(200);
    for (const p of ['/api/v1', '/api/v1/info', '/api/v1/health/detailed', '/api/v1/gpu', '/api/v1/settings/system', '/api/v1/settings/user']) {
      const res = await rawRequest(auth.url, 'GET', p);
      expect(res.status, p).toBe(401);
      expect(res.json, p).toMatchObject({ detail: 'Not authenticated' });
    }
    expect(await a.settings.system()).toMatchObject({ auth_mode: 'required', features: { auth_required: true, open_registration: false } });
    expect((await a.api.info()).counts).toStrictEqual({ projects: 0, datasets: 0, models: 0, training_jobs: 0 });
    expect((await admin.api.info()).counts).toMatchObject({ users: 3 });
    await Promise.all([a.close(), b.close(), admin.close()]);
  });
});

describe('/api/v1/settings/system, /storage, /training', () => {
  test('system: the package version, the server time zone and the features really configured', async () => {
    const { client } = await serve();
    expect(await client.settings.system()).toStrictEqual({
      site_name: 'yoloops', site_description: expect.any(String), version: serverVersion, language: 'zh-CN', theme: 'light',
      timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      features: { gpu_monitoring: true, distributed_training: false, model_registry: true, inference_service: true, auth_required: false, open_registration: false },
      auth_mode: 'off',
    });
  });

  test('storage: statfs\'s numbers for the data root, its own size, and the configured upload cap', async () => {
    const { client, dataDir } = await serve({ limits: { maxUploadBytes: 5 * 1024 ** 3 } });
    writeFileSync(path.join(dataDir, 'marker.bin'), Buffer.alloc(3 * 1024 * 1024));
    const storage = await client.settings.storage();
    const fs = statfsSync(dataDir);
    expect(storage).toMatchObject({
      max_dataset_size_gb: 5, max_dataset_size_bytes: 5 * 1024 ** 3, max_model_size_gb: 20, default_storage_path: path.resolve(dataDir),
      total_bytes: fs.blocks * fs.bsize, used_bytes: (fs.blocks - fs.bfree) * fs.bsize,
      total_storage_gb: Math.round((fs.blocks * fs.bsize / 1024 ** 3) * 100) / 100,
    });
    expect(Math.abs(storage.free_bytes - fs.bavail * fs.bsize)).toBeLessThan(64 * 1024 ** 2);
    expect(storage.used_storage_gb).toBeCloseTo(storage.used_bytes / 1024 ** 3, 2);
    expect(storage.data_dir_bytes).toBeGreaterThanOrEqual(3 * 1024 * 1024 + statSync(path.join(dataDir, 'yoloops.db')).size);
  });

  test('training: the defaults and the trainer command new jobs really use', async () => {
    const trainer = { train: ['/opt/venv/bin/yolo', 'detect', 'train', 'data={data}', 'model={model}', 'epochs={epochs}'], resume: ['/opt/venv/bin/yolo', 'resume', 'model={model}'] };
    const { client } = await serve({ jobs: { concurrency: 3, trainerCommand: trainer } });
    expect(await client.settings.training()).toStrictEqual({
      default_learning_rate: null, default_batch_size: -1, default_epochs: 10, default_imgsz: 640, default_model: 'yolov8n.pt', max_concurrent_tasks: 3,
      supported_frameworks: ['ultralytics'], trainer_command: trainer, agent_command: expect.arrayContaining(['run', '--server', '{server}', '--task', '{job_id}']),
    });
  });
});

describe('GET /api/v1/health/detailed', () => {
  // Named explicitly: the default agent is the built CLI, which a fresh clone's `npm test` has not built.
  const AGENT = [process.execPath, path.join(root, 'agent-cli.js'), 'run', '--server', '{server}', '--task', '{job_id}'];
  test('a real database query, the disk, GPUs, ffmpeg and a trainer program that is missing (degraded)', async () => {
    const { client, dataDir } = await serve({ jobs: { trainerCommand: { train: ['yoloops-no-such-trainer', '{data}'], resume: ['yoloops-no-such-trainer'] }, agentCommand: AGENT } });
    const health = await client.api.healthDetailed();
    expect(health).toMatchObject({
      status: 'degraded',
      checks: {
        // The suite runs on SQLite, or on PostgreSQL under npm run test:postgres (YOLOOPS_DATABASE_URL).
        database: databaseOptionsFromEnv() === undefined
          ? { status: 'healthy', engine: 'sqlite', schema_version: MIGRATIONS.length, tables: expect.any(Number) }
          : { status: 'healthy', engine: 'postgresql', schema_version: POSTGRES_MIGRATIONS.length, tables: expect.any(Number) },
        disk: { status: expect.stringMatching(/^(healthy|low)$/), path: path.resolve(dataDir) },
        gpu: { status: 'healthy', total_gpus: 2, names: ['NVIDIA A100-SXM4-80GB', 'NVIDIA GeForce RTX 4090'] },
        ffmpeg: { status: expect.stringMatching(/^(healthy|unavailable)$/) },
        trainer: { status: 'missing', program: 'yoloops-no-such-trainer', path: null },
        trainer_agent: { status: 'healthy', program: process.execPath, path: process.execPath },
      },
    });
  });

  test('healthy when the trainer program is found', async () => {
    const program = path.join(root, 'yolo');
    writeFileSync(program, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const { client } = await serve({ jobs: { trainerCommand: { train: [program, '{data}'], resume: [program] }, agentCommand: AGENT } });
    const health = await client.api.healthDetailed();
    expect(health.checks.trainer).toStrictEqual({ status: 'healthy', program, path: program });
    expect(health.status).toBe(health.checks.disk.status === 'healthy' ? 'healthy' : 'degraded');
  });
});
