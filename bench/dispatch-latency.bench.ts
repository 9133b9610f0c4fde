/**
 * Job dispatch latency (issue 12): submit → started, p50/p99, for a server child in dispatch mode
 * (`YOLOOPS_REDIS_URL` on a redis-server of the bench's own, one `yoloops worker` child) and, as the baseline
 * in the same run, a server child with the embedded local executor. Jobs are submitted one after another
 * through the API (`POST /train/jobs`), each once the previous one ended; the trainer (under the agent, as
 * always) stamps `Date.now()` and exits. Two delays per job, both from the clock read just before the request:
 * to `started_at` (local: just before the spawn; dispatch: the worker's claim) and to the trainer's own stamp
 * (the process really running; dominated by the agent's start under tsx, the same in both modes). p99 of 60 jobs
 * is their slowest. No target is set; without redis-server the dispatch half is skipped, saying so.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { redisServerAvailable, startTestRedis } from '../packages/core/test/support/redis-server.js';
import { isQuickRun, log, type Bench, type BenchResult } from './support/bench.js';
import { AGENT_PROGRAM, seedPreparedDataset, stampingTrainer, timeJobs, type JobStart } from './support/latency-jobs.js';
import { childEnv, startServerChild, stopChild } from './support/server-child.js';
import { round } from './support/stats.js';
import { createTempDir } from './support/temp-dir.js';

const NAME = 'dispatch-latency';
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = path.join(REPO_ROOT, 'packages/server-express/src/cli.ts');
const WORKER_ID = 'bench-worker';

const plan = () => (isQuickRun() ? { count: 8, warmup: 2, gapMs: 100 } : { count: 60, warmup: 3, gapMs: 100 });

interface ModeResult {
  label: string;
  starts: JobStart[];
}

const percentile = (values: readonly number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
};

/** Server settings both modes share: the stamping trainer under this checkout's agent, no rate limit. */
function serverEnv(stampDir: string): Record<string, string> {
  return {
    YOLOOPS_TRAINER_COMMAND: JSON.stringify(stampingTrainer(stampDir)),
    YOLOOPS_AGENT_COMMAND: JSON.stringify([...AGENT_PROGRAM, 'run', '--server', '{server}', '--task', '{job_id}', '--run-dir', '{run_dir}', '--']),
    YOLOOPS_RATE_LIMITS: 'off', YOLOOPS_AUTH: 'off',
  };
}

/** A fresh data folder with a prepared dataset, and the folder the trainer stamps into. */
async function prepareFolders(label: string): Promise<{ dataDir: string; stampDir: string; datasetId: string; scratch: string }> {
  const scratch = await createTempDir(`${NAME}-${label}`);
  const dataDir = path.join(scratch, 'data');
  const stampDir = path.join(scratch, 'stamps');
  await fsp.mkdir(dataDir);
  await fsp.mkdir(stampDir);
  return { dataDir, stampDir, scratch, datasetId: await seedPreparedDataset(dataDir, scratch) };
}

async function runLocal(): Promise<ModeResult> {
  const { dataDir, stampDir, datasetId } = await prepareFolders('local');
  const { child, origin } = await startServerChild(dataDir, serverEnv(stampDir));
  log(NAME, `local executor: server child pid ${child.pid} at ${origin}`);
  try {
    return { label: 'local executor', starts: await timeJobs(origin, datasetId, stampDir, plan()) };
  } finally {
    await stopChild(child);
  }
}

/** `yoloops worker` as a child process, its output kept for an error message. */
function startWorkerChild(origin: string, redisUrl: string, workDir: string): { child: ChildProcess; output: () => string } {
  const args = ['--conditions=source', '--import', 'tsx', CLI, 'worker', '--server', origin, '--redis', redisUrl, '--id', WORKER_ID,
    '--work-dir', workDir, '--agent-command', JSON.stringify(AGENT_PROGRAM)];
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: childEnv() });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (output = (output + c).slice(-8000)));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (output = (output + c).slice(-8000)));
  return { child, output: () => output };
}

/** Waits until `GET /workers` lists the worker alive. */
async function waitForWorker(origin: string, worker: { child: ChildProcess; output: () => string }): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (worker.child.exitCode !== null) throw new Error(`yoloops worker exited with ${worker.child.exitCode}: ${worker.output()}`);
    const list = (await (await fetch(`${origin}/workers`)).json()) as { worker_id: string; alive: boolean }[];
    if (list.some((w) => w.worker_id === WORKER_ID && w.alive)) return;
    if (Date.now() > deadline) throw new Error(`yoloops worker not alive after 60 s: ${worker.output()}`);
    await delay(100);
  }
}

async function runDispatch(): Promise<ModeResult> {
  const redis = await startTestRedis();
  try {
    const { dataDir, stampDir, datasetId, scratch } = await prepareFolders('dispatch');
    const { child, origin } = await startServerChild(dataDir, { ...serverEnv(stampDir), YOLOOPS_REDIS_URL: redis.url });
    const worker = startWorkerChild(origin, redis.url, path.join(scratch, 'worker'));
    log(NAME, `dispatch: server child pid ${child.pid} at ${origin}, redis-server ${redis.url}, worker child pid ${worker.child.pid}`);
    try {
      await waitForWorker(origin, worker);
      const starts = await timeJobs(origin, datasetId, stampDir, plan());
      const elsewhere = starts.find((s) => s.workerId !== WORKER_ID);
      if (elsewhere) throw new Error(`job ${elsewhere.jobId} was not run by ${WORKER_ID} (worker_id ${String(elsewhere.workerId)})`);
      return { label: 'dispatch (BullMQ)', starts };
    } finally {
      await stopChild(worker.child);
      await stopChild(child);
    }
  } finally {
    await redis.close();
  }
}

function summary(mode: ModeResult): { started: { p50: number; p99: number }; trainer: { p50: number; p99: number }; note: string } {
  const started = mode.starts.map((s) => s.toStartedMs);
  const trainer = mode.starts.map((s) => s.toTrainerMs);
  const statuses = [...new Set(mode.starts.map((s) => s.status))].join('/');
  return {
    started: { p50: percentile(started, 50), p99: percentile(started, 99) },
    trainer: { p50: percentile(trainer, 50), p99: percentile(trainer, 99) },
    note: `${mode.starts.length} jobs (${statuses}); max ${round(Math.max(...started))} ms`,
  };
}

function modeRows(mode: ModeResult): BenchResult[] {
  const s = summary(mode);
  return [
    { metric: `submit → started p50, ${mode.label}`, value: round(s.started.p50), unit: 'ms', note: `p99 ${round(s.started.p99)} ms; ${s.note}` },
    { metric: `submit → started p99, ${mode.label}`, value: round(s.started.p99), unit: 'ms' },
    { metric: `submit → trainer running p50, ${mode.label}`, value: round(s.trainer.p50), unit: 'ms', note: `p99 ${round(s.trainer.p99)} ms (agent + trainer spawned)` },
  ];
}

export const bench: Bench = {
  name: NAME,
  async run(): Promise<BenchResult[]> {
    const local = await runLocal();
    if (!redisServerAvailable()) {
      const why = 'redis-server is not on PATH (apt-get install redis-server)';
      log(NAME, `skipped the dispatch half: ${why}`);
      return [...modeRows(local), { metric: 'dispatch ÷ local, submit → started p50', value: 0, unit: '(skipped)', note: `dispatch half skipped: ${why}` }];
    }
    const dispatch = await runDispatch();
    const [d, l] = [summary(dispatch), summary(local)];
    return [
      ...modeRows(dispatch),
      ...modeRows(local),
      { metric: 'dispatch ÷ local, submit → started p50', value: round(d.started.p50 / l.started.p50), unit: '×', note: `p99 ratio ${round(d.started.p99 / l.started.p99)}×` },
      { metric: 'dispatch ÷ local, submit → trainer p50', value: round(d.trainer.p50 / l.trainer.p50), unit: '×', note: `p99 ratio ${round(d.trainer.p99 / l.trainer.p99)}×` },
    ];
  },
};
