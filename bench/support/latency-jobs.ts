/**
 * Job start latency over the HTTP API: a prepared dataset seeded into a data folder, a trainer that stamps the
 * moment it runs and exits at once, and a loop that submits jobs one after another and times each start.
 */
import { createReadStream } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createNodePlatform } from '@yoloops/core/node';
import { createSyntheticJpegs } from './synthetic-jpegs.js';
import { writeDatasetZip } from './write-dataset-zip.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX = pathToFileURL(createRequire(path.join(REPO_ROOT, 'package.json')).resolve('tsx')).href;
const TERMINAL = new Set(['completed', 'failed', 'stopped', 'crashed']);

/** The trainer agent from this checkout's source (the same program in both modes). */
export const AGENT_PROGRAM = [process.execPath, '--conditions=source', '--import', TSX, path.join(REPO_ROOT, 'packages/trainer-agent/src/cli.ts')];

/**
 * The trainer argv template: writes `Date.now()` to `<stampDir>/<job id>` and exits 0 at once (no epochs; the
 * agent reports the clean exit — the start is all that is timed).
 */
export function stampingTrainer(stampDir: string): string[] {
  const code = "require('fs').writeFileSync(require('path').join(process.argv[1], process.argv[2]), String(Date.now()))";
  return [process.execPath, '-e', code, stampDir, '{job_id}'];
}

/** A prepared dataset (8 train + 4 val synthetic JPEGs) in `dataDir`'s SQLite file, made before any server opens it; its id. */
export async function seedPreparedDataset(dataDir: string, scratch: string): Promise<string> {
  const zip = path.join(scratch, 'dataset.zip');
  const jpegs = await createSyntheticJpegs({ count: 4, width: 320, height: 240, quality: 85, noise: 20, seed: 7 });
  await writeDatasetZip({ file: zip, jpegs, train: 8, val: 4, classes: ['a', 'b'] });
  const platform = await createNodePlatform({ dataDir, database: false, jobs: { dispatch: false } });
  try {
    const dataset = await platform.datasets.upload({ filename: 'bench.zip', body: createReadStream(zip) });
    await platform.datasets.prepare(dataset.dataset_id, {});
    return dataset.dataset_id;
  } finally {
    platform.close();
    await fsp.rm(zip, { force: true });
  }
}

/** One timed job: both delays are from the wall clock read just before the create request was sent. */
export interface JobStart {
  jobId: string;
  status: string;
  workerId?: string;
  /** submit → `started_at` (the server's transition to running: the local runner just before spawning, a worker's claim). */
  toStartedMs: number;
  /** submit → the trainer process's own first statement (the agent and trainer spawned on the machine that runs it). */
  toTrainerMs: number;
}

interface JobView {
  status: string;
  started_at?: string;
  worker_id?: string;
  error?: string;
}

async function getJob(origin: string, jobId: string): Promise<JobView> {
  const res = await fetch(`${origin}/train/jobs/${jobId}`);
  const text = await res.text();
  if (!res.ok) throw new Error(`GET /train/jobs/${jobId} → ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as JobView;
}

/** Submits one 1-epoch job, waits until it is terminal (polling every 20 ms), and reads its start figures. */
export async function timeOneJob(origin: string, datasetId: string, stampDir: string, timeoutMs = 60_000): Promise<JobStart> {
  const body = { dataset_id: datasetId, version: 'v1', epochs: 1, imgsz: 320, batch: 4, model_name: 'yolov8n.pt', base_model_id: null };
  const submittedAt = Date.now();
  const res = await fetch(`${origin}/train/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`POST /train/jobs → ${res.status}: ${text.slice(0, 300)}`);
  const { job_id: jobId } = JSON.parse(text) as { job_id: string };
  const deadline = Date.now() + timeoutMs;
  let job = await getJob(origin, jobId);
  while (!TERMINAL.has(job.status)) {
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job.status} after ${timeoutMs / 1000} s`);
    await delay(20);
    job = await getJob(origin, jobId);
  }
  if (job.started_at === undefined) throw new Error(`job ${jobId} ended ${job.status} without started_at: ${job.error ?? ''}`);
  const stamp = await fsp.readFile(path.join(stampDir, jobId), 'utf8').catch(() => {
    throw new Error(`job ${jobId} ended ${job.status} but its trainer never ran: ${job.error ?? ''}`);
  });
  return { jobId, status: job.status, workerId: job.worker_id, toStartedMs: Date.parse(job.started_at) - submittedAt, toTrainerMs: Number(stamp) - submittedAt };
}

/** `count` jobs one after another (each submitted `gapMs` after the previous one ended), after `warmup` uncounted ones. */
export async function timeJobs(origin: string, datasetId: string, stampDir: string, o: { count: number; warmup: number; gapMs: number }): Promise<JobStart[]> {
  const starts: JobStart[] = [];
  for (let i = 0; i < o.warmup + o.count; i++) {
    const start = await timeOneJob(origin, datasetId, stampDir);
    if (i >= o.warmup) starts.push(start);
    await delay(o.gapMs);
  }
  return starts;
}
