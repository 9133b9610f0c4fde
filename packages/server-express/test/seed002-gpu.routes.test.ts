import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient, type YoloopsClient } from '@yoloops/client';
import { allRoutes, startServer, type RunningServer, type StartServerOptions } from '@yoloops/server-express';
import { afterAll, describe, expect, test } from 'vitest';
import { writeFakeNvidiaSmi, type FakeNvidiaSmi } from '../../../test/support/nvidia-smi.js';
import { rawRequest } from './support/http.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const done of cleanups.reverse()) await done();
});

/** A real server on a temp data root whose GPUs come from `gpu` options (a stand-in nvidia-smi, or none). */
async function serve(options: Partial<StartServerOptions> = {}): Promise<{ server: RunningServer; client: YoloopsClient; dataDir: string }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'yoloops-gpu-'));
  const server = await startServer({ dataDir, port: 0, host: '127.0.0.1', rateLimits: false, ...options });
  const client = createClient({ baseUrl: server.url });
  cleanups.push(async () => {
    await client.close();
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return { server, client, dataDir };
}
function fake(options: Parameters<typeof writeFakeNvidiaSmi>[0] = {}): FakeNvidiaSmi {
  const smi = writeFakeNvidiaSmi(options);
  cleanups.push(() => smi.remove());
  return smi;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('GET /api/v1/gpu', () => {
  test('reports the two GPUs the stand-in nvidia-smi prints, [N/A] power as null, with totals', async () => {
    const { client } = await serve({ gpu: { nvidiaSmi: fake().program } });
    expect(await client.gpu.status()).toStrictEqual({
      total_gpus: 2, total_memory_mb: 81920 + 24564, used_memory_mb: 40517 + 1093, avg_utilization: 50,
      metrics: [
        {
          gpu_id: 0, name: 'NVIDIA A100-SXM4-80GB', uuid: 'GPU-5f1c2b7e-8a3d-4c1e-9b2a-6d7e8f901234', total_memory_mb: 81920, used_memory_mb: 40517,
          utilization_percent: 97, temperature_c: 64, power_watts: 312.45, power_limit_watts: 400,
        },
        {
          gpu_id: 1, name: 'NVIDIA GeForce RTX 4090', uuid: 'GPU-0a1b2c3d-4e5f-4789-abcd-ef0123456789', total_memory_mb: 24564, used_memory_mb: 1093,
          utilization_percent: 3, temperature_c: 35, power_watts: null, power_limit_watts: 450,
        },
      ],
      source: 'nvidia-smi', sampled_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });

  test('two requests within a second run nvidia-smi once', async () => {
    const smi = fake();
    const { client } = await serve({ gpu: { nvidiaSmi: smi.program } });
    await sleep(1100); // past the start-up reading's cache
    const before = smi.runs();
    const [a, b] = await Promise.all([client.gpu.status(), client.gpu.status()]);
    const c = await client.gpu.status();
    expect(smi.runs()).toBe(before + 1);
    expect(b.sampled_at).toBe(a.sampled_at);
    expect(c.sampled_at).toBe(a.sampled_at);
  });

  test('no nvidia-smi at all: no GPU, empty metrics and why — never the origin\'s invented RTX 4090', async () => {
    const missing = path.join(tmpdir(), 'yoloops-no-such-dir', 'nvidia-smi');
    const { client } = await serve({ gpu: { nvidiaSmi: missing } });
    expect(await client.gpu.status()).toStrictEqual({
      total_gpus: 0, total_memory_mb: 0, used_memory_mb: 0, avg_utilization: 0, metrics: [], source: null,
      unavailable_reason: `${missing} was not found (no NVIDIA driver on this machine?)`, sampled_at: expect.any(String),
    });
    expect(await client.gpu.history()).toEqual({ history: [] });
    expect((await client.settings.system()).features.gpu_monitoring).toBe(false);
    expect((await client.api.healthDetailed()).checks.gpu).toStrictEqual({ status: 'unavailable', total_gpus: 0, names: [], unavailable_reason: expect.stringContaining('was not found') });
  });

  test('a failing nvidia-smi: no GPU and its message', async () => {
    const smi = fake({ stdout: '', stderr: 'Failed to initialize NVML: Driver/library version mismatch\n', exitCode: 18 });
    const { client } = await serve({ gpu: { nvidiaSmi: smi.program } });
    expect(await client.gpu.status()).toMatchObject({
      total_gpus: 0, metrics: [], unavailable_reason: `${smi.program} exited with code 18: Failed to initialize NVML: Driver/library version mismatch`,
    });
  });
});

describe('GET /api/v1/gpu/history', () => {
  test('answers the sampler\'s points for the last minutes, one per GPU per sample, oldest first', async () => {
    const smi = fake();
    const { client, server } = await serve({ gpu: { nvidiaSmi: smi.program, sampleIntervalMs: 1200, historyMinutes: 5 } });
    await sleep(2700);
    const { history } = await client.gpu.history(1);
    expect(history.length).toBeGreaterThanOrEqual(4); // the start-up sample and two interval samples, two GPUs each
    expect(history.length % 2).toBe(0);
    expect(history.slice(0, 2)).toStrictEqual([
      { timestamp: expect.any(Number), sampled_at: expect.any(String), gpu_id: 0, utilization: 97, memory_mb: 40517, temperature_c: 64, power_watts: 312.45 },
      { timestamp: history[0]?.timestamp, sampled_at: history[0]?.sampled_at, gpu_id: 1, utilization: 3, memory_mb: 1093, temperature_c: 35, power_watts: null },
    ]);
    const times = history.map((p) => p.timestamp);
    expect(times).toEqual([...times].sort((x, y) => x - y));
    expect(Math.abs((times[0] ?? 0) - Date.parse(history[0]?.sampled_at ?? '') / 1000)).toBeLessThan(0.001);
    // the default is 10 minutes; the bounds are 1–1440, checked as FastAPI does (422, the field named)
    expect((await client.gpu.history()).history.length).toBeGreaterThanOrEqual(history.length);
    for (const minutes of ['0', '1441', 'ten', '-5']) {
      const res = await rawRequest(server.url, 'GET', `/api/v1/gpu/history?minutes=${minutes}`);
      expect(res.status, minutes).toBe(422);
      expect((res.json as { detail: { loc: string[] }[] }).detail[0]?.loc).toEqual(['query', 'minutes']);
    }
    // the sampler stops with the server: no run after close
    await server.close();
    const runs = smi.runs();
    await sleep(1500);
    expect(smi.runs()).toBe(runs);
  });
});

describe('GET /api/v1, /api/v1/info, /api/v1/health', () => {
  test('/api/v1 lists every /api/v1 route of the route table and its families', async () => {
    const { client } = await serve({ gpu: { nvidiaSmi: fake().program } });
    const index = await client.api.index();
    const own = allRoutes.filter((r) => r.path.startsWith('/api/v1/'));
    expect(index.routes).toEqual(own.map((r) => ({ method: r.method.toUpperCase(), path: r.path, summary: r.summary, auth: r.auth ?? 'user' })));
    expect(index.endpoints).toMatchObject({ gpu: '/api/v1/gpu', settings: '/api/v1/settings', health: '/api/v1/health', projects: '/api/v1/projects', auth: '/api/v1/auth' });
    expect(index.documentation).toBe('/docs');
    const info = await client.api.info();
    expect(info).toMatchObject({ name: 'yoloops', docs_url: '/docs', openapi_url: '/openapi.json', auth_mode: 'off', counts: { projects: 0, datasets: 0, models: 0, training_jobs: 0 } });
    await client.projects.create({ name: 'counted' });
    expect((await client.api.info()).counts.projects).toBe(1);
    expect(await client.api.health()).toStrictEqual({ status: 'healthy', timestamp: expect.any(String) });
  });

  test('an unknown /api/v1 path is a FastAPI 404', async () => {
    const { server } = await serve({ gpu: { nvidiaSmi: fake().program } });
    const res = await rawRequest(server.url, 'GET', '/api/v1/gpu/nope');
    expect(res.status).toBe(404);
    expect(res.json).toMatchObject({ detail: 'Not Found' });
  });
});
