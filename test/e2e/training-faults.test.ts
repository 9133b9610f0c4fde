import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient, type YoloopsClient } from '@yoloops/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fixturePath, zipDirectory } from '../support/fixtures.js';
import { freePort, killProcessGroupsWith, processesWith, startServerProcess, waitFor, type ServerProcess } from '../support/server-process.js';

// Issue 3, acceptance (fault tests): the REAL server as a separate process, restarted on the same port
// and data root, with jobs run by the scripted trainer under the real trainer-agent CLI.

const TERMINAL = ['completed', 'failed', 'stopped', 'crashed'];

let dataDir: string;
let port: number;
let marker: string;
let server: ServerProcess | undefined;
let client: YoloopsClient;
let datasetId: string;

/** (Re)starts the server process on the same port and data root, with a fresh client. */
async function startServer(): Promise<void> {
  server = await startServerProcess({
    port, dataDir,
    // Inherited by agents and trainers: the marker finds every process of this file; retries stay short.
    env: { YOLOOPS_FAULT_TEST: marker, SCRIPTED_TRAINER_EPOCH_MS: '250', YOLOOPS_AGENT_RETRY_CAP_MS: '300' },
  });
  await client?.close();
  client = createClient({ baseUrl: server.url });
}

const job = (jobId: string) => client.training.get(jobId);
const create = (epochs: number) => client.training.create({ dataset_id: datasetId, version: 'v1', epochs, imgsz: 320, batch: 4, model_name: 'yolov8n.pt', base_model_id: null });
/** Data rows of the run's results.csv (the trainer writes one per epoch, server or not). */
const csvRows = (runDir: string) => {
  const file = path.join(runDir, 'results.csv');
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').slice(1) : [];
};
/** The agent's journal lines for epoch reports (its outbox lives in the job folder, the run dir's parent). */
const journaledEpochs = (jobId: string, runDir: string) => {
  const file = path.join(path.dirname(runDir), '.yoloops-agent', `${jobId}.events.jsonl`);
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((line) => line.includes('/notify/result')) : [];
};
/** Event ids the agent has had acknowledged by the server. */
const acked = (jobId: string, runDir: string) => {
  const file = path.join(path.dirname(runDir), '.yoloops-agent', `${jobId}.acks.jsonl`);
  const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  return lines.map((line) => (JSON.parse(line) as { eventId: string }).eventId);
};

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'yoloops-e2e-faults-'));
  marker = `YOLOOPS_FAULT_TEST=${dataDir}`;
  port = await freePort();
  await startServer();
  const { dataset_id } = await client.datasets.upload({ data: await zipDirectory(fixturePath('datasets/coco8')), filename: 'coco8.zip' });
  expect(await client.datasets.prepare(dataset_id)).toMatchObject({ status: 'prepared' });
  datasetId = dataset_id;
}, 60_000);

afterAll(async () => {
  await client?.close();
  await server?.kill('SIGKILL');
  killProcessGroupsWith(marker);
  if (marker) await waitFor('no process of this test left', () => processesWith(marker), (pids) => pids.length === 0, 5_000);
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('training faults against the real server process', () => {
  test('server down while the agent reports 10 epochs: after it returns, exactly those 10 are stored once each', async () => {
    const { job_id: jobId, run_dir: runDir } = await create(10);
    // The executor writes `running` with the agent's pid before the agent has started: stop the server now.
    await waitFor(`job ${jobId} running`, () => job(jobId), (j) => j.status === 'running' && j.pid !== undefined, 20_000);
    await server?.kill('SIGTERM');

    // While the server is away the trainer finishes and the agent journals every epoch, none acknowledged.
    await waitFor('10 rows in results.csv', () => csvRows(runDir).length, (n) => n === 10, 30_000);
    await waitFor('10 epochs in the agent outbox', () => journaledEpochs(jobId, runDir).length, (n) => n === 10, 10_000);
    expect(acked(jobId, runDir).filter((id) => id.includes(':epoch:'))).toEqual([]);

    await startServer();
    const done = await waitFor(`job ${jobId} to finish`, () => job(jobId), (j) => TERMINAL.includes(j.status) && Boolean(j.model_id), 30_000);
    expect(done, JSON.stringify(done)).toMatchObject({ status: 'completed', attempt: 1 });

    // Seed 000's metrics of the registered model: epochs 1..10, once each, with the trainer's own values.
    const seed = (await client.seed000.trainingMetrics(done.model_id!)) as { code: number; data: { metrics_data: { epochs: number[] } } };
    expect(seed.code).toBe(200);
    expect(seed.data.metrics_data.epochs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const model = await client.models.get(done.model_id!);
    const history = (model.training_metrics as { training_history: Record<string, unknown> }).training_history;
    const header = readFileSync(path.join(runDir, 'results.csv'), 'utf8').split('\n')[0]!.split(',');
    const boxLoss = csvRows(runDir).map((row) => Number(row.split(',')[header.indexOf('train/box_loss')]));
    expect(history).toMatchObject({ epochs: seed.data.metrics_data.epochs, train_box_loss: boxLoss });
    await waitFor(`no process of job ${jobId}`, () => processesWith(`YOLOOPS_JOB_ID=${jobId}`), (pids) => pids.length === 0, 25_000);
  }, 90_000);

  test('kill -9 of the server mid-run: on restart a vanished job is crashed, a surviving one is tracked to its end; never stuck running', async () => {
    const survivor = await create(24);
    const victim = await create(24);
    const running = await waitFor('both jobs running with epochs stored', async () => Promise.all([job(survivor.job_id), job(victim.job_id)]),
      (jobs) => jobs.every((j) => j.status === 'running' && j.pid !== undefined) && csvRows(survivor.run_dir).length >= 2 && csvRows(victim.run_dir).length >= 2, 30_000);
    await server?.kill('SIGKILL');

    // While the server is gone, the victim's agent and trainer vanish too (a reboot, an OOM kill…).
    const victimPid = running[1].pid!;
    process.kill(-victimPid, 'SIGKILL');
    await waitFor('the victim gone', () => processesWith(`YOLOOPS_JOB_ID=${victim.job_id}`), (pids) => pids.length === 0, 10_000);
    const before = csvRows(survivor.run_dir).length;
    await waitFor('the survivor to keep training without the server', () => csvRows(survivor.run_dir).length, (n) => n > before, 10_000);

    await startServer();
    expect(await job(victim.job_id)).toMatchObject({ status: 'crashed', crashed: true });
    const adopted = await job(survivor.job_id);
    // Tracked consistently: still running with its processes alive, or already finished by its agent.
    if (adopted.status === 'running') expect(processesWith(`YOLOOPS_JOB_ID=${survivor.job_id}`).length).toBeGreaterThan(0);
    else expect(adopted.status).toBe('completed');

    const done = await waitFor(`job ${survivor.job_id} to finish`, () => job(survivor.job_id), (j) => TERMINAL.includes(j.status) && Boolean(j.model_id), 40_000);
    expect(done, JSON.stringify(done)).toMatchObject({ status: 'completed' });
    const seed = (await client.seed000.trainingMetrics(done.model_id!)) as { data: { metrics_data: { epochs: number[] } } };
    expect(seed.data.metrics_data.epochs).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    await waitFor('no process of either job', () => [...processesWith(`YOLOOPS_JOB_ID=${survivor.job_id}`), ...processesWith(`YOLOOPS_JOB_ID=${victim.job_id}`)], (pids) => pids.length === 0, 25_000);
    expect((await job(victim.job_id)).status).toBe('crashed');
  }, 120_000);
});
