import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createClient, type YoloopsClient } from '@yoloops/client';
import { createNodePlatform, type NodePlatform } from '@yoloops/core/node';
import { createApp } from '@yoloops/server-express';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fixturePath, REPO_ROOT, zipDirectory } from '../support/fixtures.js';
import { waitFor } from '../support/server-process.js';

// Issue 3, acceptance: a job runs the (scripted) trainer under the REAL trainer-agent CLI, which reports
// status and epochs through the notify routes and uploads best.onnx to the model registry.

const SCRIPTED_TRAINER = path.join(REPO_ROOT, 'packages/core/test/fixtures/scripted-trainer.mjs');
const AGENT_CLI = path.join(REPO_ROOT, 'packages/trainer-agent/src/cli.ts');
// The agent runs with the job folder as cwd, so `--import tsx` must name the loader by absolute URL.
const TSX_LOADER = pathToFileURL(createRequire(path.join(REPO_ROOT, 'package.json')).resolve('tsx')).href;
const KEYS = ['data={data}', 'model={model}', 'epochs={epochs}', 'imgsz={imgsz}', 'batch={batch}', 'project={project}', 'name={name}', 'exist_ok=True'];
const TERMINAL = ['completed', 'failed', 'stopped', 'crashed'];

/** Live (non-zombie) pids whose environment holds `YOLOOPS_JOB_ID=<jobId>` (agent, trainer and any grandchild). */
function processesOfJob(jobId: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (/\) [ZX] /.test(readFileSync(`/proc/${name}/stat`, 'latin1'))) continue;
      if (readFileSync(`/proc/${name}/environ`, 'latin1').split('\0').includes(`YOLOOPS_JOB_ID=${jobId}`)) pids.push(Number(name));
    } catch {
      // Gone while we looked, or not ours to read.
    }
  }
  return pids;
}

let dataDir: string;
let http: Server;
let url: string;
let platform: NodePlatform;
let client: YoloopsClient;
let datasetId: string;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'yoloops-e2e-train-'));
  // The agent needs the server's own URL, so listen first (port 0) and mount the app once it is known.
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  http = createServer((req, res) => (handler ? handler(req, res) : res.writeHead(503).end()));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  platform = await createNodePlatform({
    dataDir,
    jobs: {
      serverUrl: url,
      concurrency: 1,
      stopGraceMs: 3000,
      watchdogMs: 60_000,
      env: { SCRIPTED_TRAINER_EPOCH_MS: '150', YOLOOPS_AGENT_RETRY_CAP_MS: '500' },
      agentCommand: [process.execPath, '--conditions=source', '--import', TSX_LOADER, AGENT_CLI, 'run', '--server', '{server}', '--task', '{job_id}', '--run-dir', '{run_dir}', '--no-export', '--'],
      trainerCommand: {
        train: [process.execPath, SCRIPTED_TRAINER, 'detect', 'train', ...KEYS],
        resume: [process.execPath, SCRIPTED_TRAINER, 'detect', 'train', 'resume', 'model={model}'],
      },
    },
  });
  handler = createApp({ services: platform, rateLimits: false }); // polls every 50 ms
  client = createClient({ baseUrl: url });
  const { dataset_id } = await client.datasets.upload({ data: await zipDirectory(fixturePath('datasets/coco8')), filename: 'coco8.zip' });
  expect(await client.datasets.prepare(dataset_id)).toMatchObject({ status: 'prepared' });
  datasetId = dataset_id;
}, 30_000);

afterAll(async () => {
  try {
    if (client) {
      const { jobs } = await client.training.list();
      for (const job of jobs) if (job.status === 'queued' || job.status === 'running') await client.training.stop(job.job_id).catch(() => undefined);
      await client.close();
    }
  } finally {
    http?.closeAllConnections();
    if (http) await new Promise<void>((resolve) => http.close(() => resolve()));
    platform?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
});

const getJob = (jobId: string) => client.training.get(jobId);

describe('training under the real trainer agent', () => {
  test('queued → running → completed: every epoch reported, best.onnx registered, metrics, chart and log stream', async () => {
    const created = await client.training.create({ dataset_id: datasetId, version: 'v1', epochs: 3, imgsz: 320, batch: 4, model_name: 'yolov8n.pt', base_model_id: null });
    expect(created).toMatchObject({ job_id: expect.any(String), status: 'queued', epochs: 3 });
    const jobId = created.job_id;

    // Follow the log from the start; the stream must end on its own once the job is over.
    const streamed = (async () => {
      const lines: string[] = [];
      for await (const line of client.logs.stream(jobId)) lines.push(line);
      return lines;
    })();

    const seen = new Set<string>(['queued']);
    const done = await waitFor(`job ${jobId} to finish`, async () => {
      const job = await getJob(jobId);
      seen.add(job.status);
      return job;
    }, (job) => TERMINAL.includes(job.status), 20_000);
    expect(done, JSON.stringify(done)).toMatchObject({ status: 'completed' });
    // The agent reports `completed` before its process exits; the exit facts still reach the record.
    const exited = await waitFor(`job ${jobId} to record its exit`, () => getJob(jobId), (job) => job.exit_code !== undefined || job.signal !== undefined);
    expect(exited).toMatchObject({ status: 'completed', exit_code: 0, finished_at: expect.any(String) });
    // 3 epochs × 150 ms under a Node agent: the poll sees `running` (the agent's report or the executor's start).
    expect(seen).toContain('running');

    // Every epoch arrived through the agent's POST /api/model/train/notify/result.
    const epochs = await waitFor('3 epochs stored', () => platform.jobMetrics.listEpochs(jobId), (rows) => rows.length === 3);
    expect(epochs.map((r) => r.epoch)).toEqual([1, 2, 3]);
    for (const row of epochs) {
      expect(row.attempt).toBe(1);
      expect(Object.keys(row.metrics).length).toBeGreaterThan(3);
    }

    // The agent uploads weights/best.onnx after the trainer exits; the job then points at a registered model.
    const withModel = await waitFor(`job ${jobId} to get a model_id`, () => getJob(jobId), (job) => Boolean(job.model_id), 15_000);
    const modelId = withModel.model_id!;
    const model = await client.models.get(modelId);
    // S001's model detail: per-epoch arrays, and the last epoch's detection metrics in `final_metrics`.
    const history = (model.training_metrics as { training_history: Record<string, unknown> } | undefined)?.training_history;
    expect(history, JSON.stringify(model)).toBeDefined();
    const { final_metrics: finalMetrics, ...columns } = history!;
    expect(columns.epochs).toEqual([1, 2, 3]);
    expect(columns.metrics_mAP50).toHaveLength(3);
    for (const [name, values] of Object.entries(columns)) expect(values, name).toHaveLength(3);
    expect(finalMetrics).toMatchObject({ mAP50: expect.any(Number) });
    // The UI's 训练配置 panel: what the job was asked to train with.
    expect((model.training_metrics as { job_config?: unknown }).job_config).toEqual({
      job_id: jobId, dataset_id: datasetId, version: 'v1', model_name: 'yolov8n.pt', base_model_id: null, epochs: 3, imgsz: 320, batch: 4, created_at: created.created_at,
    });

    const seed = await client.seed000.trainingMetrics(modelId);
    expect(seed).toMatchObject({ code: 200 });
    const data = (seed as { data: { metrics_data: Record<string, unknown> } }).data.metrics_data;
    const rows = Object.entries(data).filter(([, v]) => Array.isArray(v));
    expect(rows.length).toBeGreaterThan(0);
    for (const [name, values] of rows) expect(values, name).toHaveLength(3);

    const png = await client.models.charts(modelId, 'loss');
    const meta = await sharp(Buffer.from(png)).metadata();
    expect(meta).toMatchObject({ format: 'png', width: 2700, height: 750 });

    const lines = await Promise.race([
      streamed,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('log stream did not end after the job completed')), 10_000)),
    ]);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.some((l) => /3\/3/.test(l) || /epochs completed/.test(l))).toBe(true);
  }, 45_000);

  test('stop mid-run kills agent and trainer; resume completes and re-run epochs replace the old ones', async () => {
    const { job_id: jobId } = await client.training.create({ dataset_id: datasetId, version: 'v1', epochs: 12, imgsz: 320, batch: 4, model_name: 'yolov8n.pt', base_model_id: null });
    await waitFor('2 epochs reported', () => platform.jobMetrics.listEpochs(jobId), (rows) => rows.length >= 2, 20_000);
    expect(processesOfJob(jobId).length).toBeGreaterThan(0);

    expect(await client.training.stop(jobId)).toMatchObject({ ok: true, job_id: jobId, status: 'stopped' });
    const stopped = await waitFor('stopped', () => getJob(jobId), (job) => TERMINAL.includes(job.status));
    expect(stopped.status).toBe('stopped');
    await waitFor(`no process with YOLOOPS_JOB_ID=${jobId}`, () => processesOfJob(jobId), (pids) => pids.length === 0, 8_000);

    const checkpoint = JSON.parse(readFileSync(path.join(stopped.run_dir, 'weights', 'last.pt'), 'utf8')) as { epoch: number };
    expect(checkpoint.epoch).toBeGreaterThanOrEqual(1);
    expect(checkpoint.epoch).toBeLessThan(12);

    expect(await client.training.resume(jobId)).toMatchObject({ ok: true, job_id: jobId, status: 'queued' });
    const done = await waitFor(`job ${jobId} to finish again`, () => getJob(jobId), (job) => job.attempt === 2 && TERMINAL.includes(job.status), 20_000);
    expect(done, JSON.stringify(done)).toMatchObject({ status: 'completed', attempt: 2, resume_count: 1 });

    const rows = await waitFor('all 12 epochs stored', () => platform.jobMetrics.listEpochs(jobId), (r) => r.length === 12 && r.every((x) => x.epoch <= checkpoint.epoch || x.attempt === 2));
    expect(rows.map((r) => r.epoch)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    for (const row of rows) {
      if (row.epoch > checkpoint.epoch) expect(row.attempt, `epoch ${row.epoch}`).toBe(2);
      else expect([1, 2]).toContain(row.attempt);
    }
    await waitFor(`no process with YOLOOPS_JOB_ID=${jobId} after completion`, () => processesOfJob(jobId), (pids) => pids.length === 0, 8_000);
  }, 50_000);
});
