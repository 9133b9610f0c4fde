// Test support for the job service tests (not exported from any entry point).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMemoryDatasetStore } from '../../src/adapters/memory/memory-dataset-store.js';
import { createMemoryJobStore } from '../../src/adapters/memory/memory-job-store.js';
import { createMemoryMetricStore } from '../../src/adapters/memory/memory-metric-store.js';
import { createExecaTrainingExecutor } from '../../src/adapters/execa/execa-training-executor.js';
import { createFsBlobStore } from '../../src/adapters/fs/fs-blob-store.js';
import { openSqliteDatabase } from '../../src/adapters/sqlite/sqlite-database.js';
import { createSqliteJobStore } from '../../src/adapters/sqlite/sqlite-job-store.js';
import { createSqliteMetricStore } from '../../src/adapters/sqlite/sqlite-metric-store.js';
import type { Dataset } from '../../src/datasets/dataset.schema.js';
import type { Clock } from '../../src/platform/clock.port.js';
import { createJobService, type JobServiceDeps } from '../../src/jobs/job-service.js';
import type { Job, JobStatus, TrainerCommand } from '../../src/jobs/job.schema.js';

export const SCRIPTED_TRAINER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/scripted-trainer.mjs');
const KEYS = ['data={data}', 'model={model}', 'epochs={epochs}', 'imgsz={imgsz}', 'batch={batch}', 'project={project}', 'name={name}', 'exist_ok=True'];

/** The scripted trainer as a trainer command template (run directly with node, no shell, no agent). */
export const SCRIPTED_COMMAND: TrainerCommand = {
  train: [process.execPath, SCRIPTED_TRAINER, 'detect', 'train', ...KEYS],
  resume: [process.execPath, SCRIPTED_TRAINER, 'detect', 'train', 'resume', 'model={model}'],
};

/** A clock that moves 1 ms forward on every reading, so creation and queue order are deterministic. */
export function tickingClock(start = Date.parse('2024-01-15T12:00:00.000Z')): Clock {
  let t = start;
  return { now: () => new Date(t++) };
}

const prepared = (id: string, status: Dataset['status'] = 'prepared'): Dataset => ({
  dataset_id: id, filename: `${id}.zip`, size: 1, sha256: 'ab'.repeat(32), uploaded_at: '2024-01-01T00:00:00.000Z',
  created_at: '2024-01-01T00:00:00.000Z', status, versions: status === 'prepared' ? ['v1'] : [],
});

/** A temp data root with a prepared dataset `ds_1`, memory stores, the fs blob store and the real executor. */
export async function createJobWorld(options: { sqlite?: boolean } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'yoloops-jobs-'));
  const db = options.sqlite ? openSqliteDatabase(path.join(dir, 'yoloops.db')) : undefined;
  const blobs = createFsBlobStore(dir);
  const datasets = createMemoryDatasetStore();
  await datasets.create(prepared('ds_1'));
  await datasets.create(prepared('ds_raw', 'uploaded'));
  await datasets.create(prepared('ds_noyaml'));
  await blobs.write('datasets/ds_1/v1/data.yaml', 'path: .\ntrain: images/train\nval: images/val\nnames: [cat]\n');
  const stores = db ? { jobs: createSqliteJobStore(db), metrics: createSqliteMetricStore(db) } : { jobs: createMemoryJobStore(), metrics: createMemoryMetricStore() };
  const base = { ...stores, datasets, blobs, clock: tickingClock() };
  const services: Array<ReturnType<typeof createJobService>> = [];
  const service = (overrides: Partial<JobServiceDeps> = {}) => {
    const created = createJobService({
      ...base, executor: createExecaTrainingExecutor(), trainerCommand: SCRIPTED_COMMAND, agentCommand: null,
      stopGraceMs: 2000, ...overrides, env: { SCRIPTED_TRAINER_EPOCH_MS: '100', ...overrides.env, YOLOOPS_TEST_WORLD: dir },
    });
    services.push(created);
    return created;
  };
  const cleanup = async () => {
    for (const s of services) for (const job of await s.list()) if (job.status === 'running' || job.status === 'queued') await s.stop(job.job_id).catch(() => undefined);
    killAll(processesOf());
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  };
  /** Live processes this world started (for one job when `jobId` is given). */
  const processesOf = (jobId?: string) => processesWith([`YOLOOPS_TEST_WORLD=${dir}`, ...(jobId === undefined ? [] : [`YOLOOPS_JOB_ID=${jobId}`])]);
  return { dir, ...base, service, processesOf, cleanup };
}

/** Polls `probe` every 20 ms until it returns a truthy value, failing after `timeoutMs` with `what`. */
export async function waitFor<T>(what: string, probe: () => Promise<T> | T, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Waits until the job has `status` and returns it. */
export const waitForStatus = (service: { get(id: string): Promise<Job> }, jobId: string, status: JobStatus) =>
  waitFor(`job ${jobId} to be ${status}`, async () => {
    const job = await service.get(jobId);
    return job.status === status ? job : undefined;
  });

/** Waits until the job runs and its pid is recorded. */
export const waitForPid = (service: { get(id: string): Promise<Job> }, jobId: string) =>
  waitFor(`job ${jobId} to run with a pid`, async () => {
    const job = await service.get(jobId);
    return job.status === 'running' && job.pid !== undefined ? (job as Job & { pid: number }) : undefined;
  });

/** Pids of live (non-zombie) processes whose environment holds every one of `vars` (`NAME=value`), from /proc. */
export function processesWith(vars: readonly string[]): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (/\) [ZX] /.test(readFileSync(`/proc/${name}/stat`, 'latin1'))) continue;
      const env = readFileSync(`/proc/${name}/environ`, 'latin1').split('\0');
      if (vars.every((v) => env.includes(v))) pids.push(Number(name));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/** SIGKILLs the given pids (ones a test started), ignoring those already gone. */
export function killAll(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** Whether a pid is a live (non-zombie) process. */
export function pidAlive(pid: number): boolean {
  try {
    return !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return false;
  }
}

/** Reads a file, '' when missing. */
export const readText = (file: string) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};
