import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startServer, type RunningServer, type StartServerOptions } from '@yoloops/server-express';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fixturePath, REPO_ROOT, zipDirectory } from '../support/fixtures.js';
import { waitFor } from '../support/server-process.js';

// Issue 10, acceptance: the seed 002 flow over HTTP as its frontend calls it — a project, a dataset record
// and its ZIP upload, a training submission run by the scripted trainer under the real trainer agent,
// the job in /tasks and /training/jobs, its loss in /metrics/loss, its model in /api/v1/models — first
// with auth off, then with auth required and a login token (a member sees none of it).

const SCRIPTED_TRAINER = path.join(REPO_ROOT, 'packages/core/test/fixtures/scripted-trainer.mjs');
const AGENT_CLI = path.join(REPO_ROOT, 'packages/trainer-agent/src/cli.ts');
const TSX_LOADER = pathToFileURL(createRequire(path.join(REPO_ROOT, 'package.json')).resolve('tsx')).href;
const KEYS = ['data={data}', 'model={model}', 'epochs={epochs}', 'imgsz={imgsz}', 'batch={batch}', 'project={project}', 'name={name}', 'exist_ok=True'];
const ADMIN_PASSWORD = 'seed 002 flow admin password';

interface Api {
  (method: string, p: string, init?: { json?: unknown; body?: FormData | URLSearchParams; token?: string }): Promise<{ status: number; json: any }>;
}

function apiOf(url: string): Api {
  return async (method, p, init = {}) => {
    const headers: Record<string, string> = init.token ? { authorization: `Bearer ${init.token}` } : {};
    if (init.json !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(url + p, { method, headers, body: init.json !== undefined ? JSON.stringify(init.json) : init.body });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  };
}

async function start(extra: Partial<StartServerOptions>): Promise<{ server: RunningServer; dataDir: string; api: Api }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'yoloops-e2e-s002-'));
  const server = await startServer({
    dataDir, port: 0, host: '127.0.0.1', rateLimits: false, ...extra,
    jobs: {
      concurrency: 1, stopGraceMs: 3000, watchdogMs: 60_000,
      env: { SCRIPTED_TRAINER_EPOCH_MS: '150', YOLOOPS_AGENT_RETRY_CAP_MS: '500' },
      agentCommand: [process.execPath, '--conditions=source', '--import', TSX_LOADER, AGENT_CLI, 'run', '--server', '{server}', '--task', '{job_id}', '--run-dir', '{run_dir}', '--no-export', '--'],
      trainerCommand: {
        train: [process.execPath, SCRIPTED_TRAINER, 'detect', 'train', ...KEYS],
        resume: [process.execPath, SCRIPTED_TRAINER, 'detect', 'train', 'resume', 'model={model}'],
      },
    },
  });
  return { server, dataDir, api: apiOf(server.url) };
}

/** The whole flow as one caller (token or none); returns what it made. */
async function seed002Flow(api: Api, token?: string) {
  const project = await api('POST', '/api/v1/projects', { token, json: { name: 'COCO8 detection', description: 'seed 002 flow' } });
  expect(project.status, JSON.stringify(project.json)).toBe(201);
  const record = await api('POST', '/api/v1/datasets', { token, json: { name: 'coco8', project_id: project.json.id } });
  expect(record.status, JSON.stringify(record.json)).toBe(201);
  const datasetId = record.json.id as number;
  const form = new FormData();
  form.append('file', new Blob([await zipDirectory(fixturePath('datasets/coco8'))]), 'coco8.zip');
  const uploaded = await api('POST', `/api/v1/datasets/${datasetId}/upload`, { token, body: form });
  expect(uploaded.status, JSON.stringify(uploaded.json)).toBe(200);

  const catalog = await api('GET', '/api/v1/training/datasets', { token });
  expect(catalog.json.datasets).toEqual([expect.objectContaining({ id: datasetId, name: 'coco8', image_count: 8, train_count: 4, val_count: 4, project_id: project.json.id })]);
  expect((await api('GET', '/api/v1/training/models', { token })).json.models[0]).toMatchObject({ id: 'yolov8n.pt' });
  expect((await api('GET', '/api/v1/training/templates', { token })).json.templates[0]).toMatchObject({ id: 'yolo-detect' });

  const submitted = await api('POST', '/api/v1/training/submit', {
    token,
    json: { model_id: 'yolov8n.pt', dataset_id: datasetId, template_id: 'yolo-detect', project_id: project.json.id, experiment_name: 'coco8-yolov8n', hyperparameters: { epochs: 3, imgsz: 320, batch: 4 } },
  });
  expect(submitted.status, JSON.stringify(submitted.json)).toBe(200);
  expect(submitted.json).toMatchObject({ message: '训练任务已提交', job: { status: 'queued', progress: 0, queue_position: 1, dataset_id: datasetId, project_id: project.json.id } });
  const { job_id: jobId, number } = submitted.json.job as { job_id: string; number: number };

  // Watched as the frontend does: the task list and the job, until the job is done and its model registered.
  const task = await waitFor('the task to complete', async () => ((await api('GET', '/api/v1/tasks', { token })).json.tasks as any[]).find((x) => x.resource_id === jobId), (x) => x?.status === 'completed' || x?.status === 'failed', 30_000);
  expect(task).toMatchObject({ type: 'training', status: 'completed', progress: 100, name: 'coco8-yolov8n', project_id: project.json.id });
  const job = await waitFor('the job to register its model', async () => (await api('GET', `/api/v1/training/jobs/${number}`, { token })).json, (j) => j.result_model_id !== null, 20_000);
  expect(job).toMatchObject({ job_id: jobId, status: 'completed', progress: 100, current_epoch: 3, total_epochs: 3, experiment_name: 'coco8-yolov8n' });
  expect((await api('GET', '/api/v1/training/jobs?status=completed', { token })).json.jobs.map((j: { job_id: string }) => j.job_id)).toEqual([jobId]);

  // The loss is the stored epochs' box + cls + dfl, as the trainer agent reported them.
  const stored = (await api('GET', `/train/jobs/${jobId}/metrics`, { token })).json.epochs as Array<{ epoch: number; metrics: Record<string, number> }>;
  expect(stored.map((e) => e.epoch)).toEqual([1, 2, 3]);
  const want = stored.map((e) => e.metrics.box_loss! + e.metrics.cls_loss! + e.metrics.dfl_loss!);
  const loss = await api('GET', '/api/v1/metrics/loss?experiment_id=coco8-yolov8n&steps=100', { token });
  expect(loss.status).toBe(200);
  expect(loss.json).toMatchObject({ experiment_name: 'coco8-yolov8n', jobs: [jobId], total_steps: 3, metrics: { initial_loss: want[0], final_loss: want[2], best_loss: Math.min(...want) } });
  expect(loss.json.data.map((p: { step: number; loss: number }) => [p.step, p.loss])).toEqual(want.map((l, i) => [i + 1, l]));

  const models = (await api('GET', '/api/v1/models', { token })).json.models as Array<{ model_id: string | null }>;
  expect(models.map((m) => m.model_id)).toContain(job.result_model_id);
  return { projectId: project.json.id as number, datasetId, jobId, number, modelId: job.result_model_id as string };
}

describe('the seed 002 flow with auth off', () => {
  let s: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    s = await start({});
  }, 30_000);
  afterAll(async () => {
    await s?.server.close();
    if (s) rmSync(s.dataDir, { recursive: true, force: true });
  });

  test('project → dataset upload → submit → tasks and jobs → loss → model', async () => {
    await seed002Flow(s.api);
  }, 90_000);
});

describe('the seed 002 flow with auth required', () => {
  let s: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    s = await start({ auth: { mode: 'required', adminPassword: ADMIN_PASSWORD }, accounts: { passwordCost: { N: 2 ** 10, r: 8, p: 1 } } } as Partial<StartServerOptions>);
  }, 30_000);
  afterAll(async () => {
    await s?.server.close();
    if (s) rmSync(s.dataDir, { recursive: true, force: true });
  });

  test('with a login token the flow runs; without one it is a 401; a member sees none of the admin\'s work', async () => {
    const login = async (username: string, password: string) => {
      const res = await s.api('POST', '/api/v1/auth/token', { body: new URLSearchParams({ username, password }) });
      expect(res.status, JSON.stringify(res.json)).toBe(200);
      return res.json.access_token as string;
    };
    const admin = await login('admin', ADMIN_PASSWORD);
    expect((await s.api('GET', '/api/v1/training/jobs')).status).toBe(401);
    expect((await s.api('POST', '/api/v1/training/submit', { json: {} })).status).toBe(401);
    const made = await seed002Flow(s.api, admin);

    const password = 'member of the seed 002 flow';
    expect((await s.api('POST', '/api/v1/auth/register', { token: admin, json: { username: 'member1', password } })).status).toBe(201);
    const member = await login('member1', password);
    expect((await s.api('GET', '/api/v1/training/jobs', { token: member })).json.jobs).toEqual([]);
    expect((await s.api('GET', `/api/v1/training/jobs/${made.number}`, { token: member })).status).toBe(404);
    expect((await s.api('GET', `/api/v1/metrics/loss/${made.jobId}`, { token: member })).status).toBe(404);
    expect((await s.api('GET', '/api/v1/metrics/metrics/summary', { token: member })).json.experiments).toEqual([]);
    expect((await s.api('GET', '/api/v1/training/datasets', { token: member })).json.datasets).toEqual([]);
    // A member cannot train on the admin's project or dataset.
    const other = await s.api('POST', '/api/v1/training/submit', {
      token: member, json: { model_id: 'yolov8n.pt', dataset_id: made.datasetId, template_id: 'yolo-detect', project_id: made.projectId, experiment_name: 'x' },
    });
    expect(other).toMatchObject({ status: 404, json: { detail: `Project ${made.projectId} not found` } });
  }, 90_000);
});
