import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createClient } from '@yoloops/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fixturePath, REPO_ROOT, zipDirectory } from '../../../../test/support/fixtures.js';
import { startAuthServer, type AuthServer } from '../support/auth.js';
import { SCRIPTED_TRAINER, waitFor } from '../support/training.js';

const AGENT_CLI = path.join(REPO_ROOT, 'packages/trainer-agent/src/cli.ts');
// The agent runs with the job folder as cwd, so `--import tsx` names the loader by absolute URL.
const TSX_LOADER = pathToFileURL(createRequire(path.join(REPO_ROOT, 'package.json')).resolve('tsx')).href;
const KEYS = ['data={data}', 'model={model}', 'epochs={epochs}', 'imgsz={imgsz}', 'batch={batch}', 'project={project}', 'name={name}', 'exist_ok=True'];

let s: AuthServer;
let datasetId: string;
beforeAll(async () => {
  s = await startAuthServer({
    jobs: {
      stopGraceMs: 2000, watchdogMs: 500,
      env: { SCRIPTED_TRAINER_EPOCH_MS: '100' },
      agentCommand: [process.execPath, '--conditions=source', '--import', TSX_LOADER, AGENT_CLI, 'run', '--server', '{server}', '--task', '{job_id}', '--run-dir', '{run_dir}', '--no-export', '--'],
      trainerCommand: {
        train: [process.execPath, SCRIPTED_TRAINER, 'detect', 'train', ...KEYS],
        resume: [process.execPath, SCRIPTED_TRAINER, 'detect', 'train', 'resume', 'model={model}'],
      },
    },
  });
  const client = createClient({ baseUrl: s.url, token: s.adminToken });
  ({ dataset_id: datasetId } = await client.datasets.upload({ data: await zipDirectory(fixturePath('datasets/coco8')), filename: 'coco8.zip' }));
  await client.datasets.prepare(datasetId);
  await client.close();
}, 60_000);
afterAll(async () => s?.close());

describe('the trainer agent the server starts (auth required)', () => {
  test('gets a token scoped to its job in its environment: its reports and weights are accepted; the token is in no argv or log', async () => {
    const created = await s.call('POST', '/train/jobs', { token: s.adminToken, json: { dataset_id: datasetId, epochs: 2 } });
    expect(created.status, created.text).toBe(200);
    const jobId = (created.json as { job_id: string }).job_id;
    const job = await waitFor(async () => (await s.call('GET', `/train/jobs/${jobId}`, { token: s.adminToken })).json as { status: string; model_id?: string; command: string[]; log_file: string; error?: string },
      (j) => j.status !== 'queued' && j.status !== 'running' && j.model_id !== undefined || j.status === 'failed', 60_000);
    expect(job, JSON.stringify(job)).toMatchObject({ status: 'completed', model_id: expect.any(String) });
    const metrics = (await s.call('GET', `/train/jobs/${jobId}/metrics`, { token: s.adminToken })).json as { epochs: Array<{ epoch: number }> };
    expect(metrics.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    const log = readFileSync(job.log_file, 'utf8');
    expect(log).toContain('YOLOOPS_AGENT_TOKEN is set');
    expect(log).not.toMatch(/eyJ[\w-]{10,}\./);
    expect(job.command.join(' ')).not.toMatch(/eyJ|token/i);
  }, 90_000);
});
