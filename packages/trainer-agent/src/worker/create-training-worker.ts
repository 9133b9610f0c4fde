import { hostname } from 'node:os';
import path from 'node:path';
import { queuesForWorker, WorkerIdSchema, WorkerOwnLabelsSchema, ValidationError, type GpuMonitor, type TrainingExecutor, type WorkerJobRef } from '@yoloops/core';
import { createExecaTrainingExecutor, createNvidiaSmiGpuMonitor } from '@yoloops/core/node';
import { DEFAULT_BACKOFF, type BackoffOptions } from '../backoff.js';
import { createAttemptRunner, type AttemptRunner } from './attempt-runner.js';
import { createDatasetCache } from './dataset-cache.js';
import { startHeartbeat } from './heartbeat.js';
import { startQueueConsumers } from './queue-consumers.js';
import { lockWorkDir, reapOrphans } from './work-dir.js';
import { agentVersion, defaultAgentCommand, defaultAgentFlags, defaultWorkerId } from './worker-defaults.js';
import { createWorkerHttp, type WorkerHttp } from './worker-http.js';

/** Options of {@link createTrainingWorker}; `serverUrl` and `redisUrl` are required. */
export interface TrainingWorkerOptions {
  /** Base URL of a yoloops server (any replica). */
  serverUrl: string;
  /** Redis the servers dispatch through, e.g. `redis://10.0.0.5:6379`. */
  redisUrl: string;
  /** Worker token (`yoloops workers token`), sent as `Authorization: Bearer`; none with auth off. */
  token?: string;
  /** Default `<hostname>-<pid>-<random>`; give a stable one so a restarted worker is known as itself. */
  workerId?: string;
  /** Labels such as `{ gpu: 'a100' }` (≤ 6): the worker consumes the queue of every subset of ≤ 3. */
  labels?: Record<string, string>;
  /** Attempts run at once, over all its queues (default 1). */
  concurrency?: number;
  /** Datasets, run folders and logs (default `./yoloops-worker`). */
  workDir?: string;
  /** Program of the trainer agent (default this installation's `yoloops-agent`). */
  agentCommand?: string[];
  /** Extra `yoloops-agent run` flags (default `--ship-logs --checkpoints` where the agent knows them). */
  agentFlags?: string[];
  /** How long an agent keeps sending its last reports while the server is away, after its trainer ended (default 3600 s); its slot stays taken meanwhile. */
  agentFlushTimeoutS?: number;
  executor?: TrainingExecutor;
  gpus?: GpuMonitor;
  /** BullMQ lock of a message being run, renewed at half of it (default 30 s): a dead worker's message returns to the queue after it. */
  lockDurationMs?: number;
  /** How often BullMQ looks for stalled messages (default 30 s). */
  stalledIntervalMs?: number;
  /** Backoff of every retry while the server is away (default 500 ms base, 30 s cap), the agents' (YOLOOPS_AGENT_RETRY_CAP_MS) included. */
  retry?: Partial<BackoffOptions>;
  /** SIGTERM → SIGKILL grace of a cancelled trainer (default 10 s). */
  stopGraceMs?: number;
  /** SIGINT → SIGTERM grace for llm-finetune (default 30 s). */
  interruptGraceMs?: number;
  /** Largest dataset ZIP (default 20 GiB). */
  maxDatasetBytes?: number;
  log?: (line: string) => void;
}

/** A running worker. */
export interface TrainingWorker {
  readonly workerId: string;
  /** BullMQ queues it consumes. */
  readonly queues: readonly string[];
  /** Attempts it holds now. */
  jobs(): WorkerJobRef[];
  /** Stops taking messages, kills its trainers, hands their messages back (delayed past the server's worker timeout) and closes. */
  close(): Promise<void>;
}

function checkOptions(options: TrainingWorkerOptions) {
  const id = WorkerIdSchema.safeParse(options.workerId ?? defaultWorkerId());
  if (!id.success) throw new ValidationError(`worker id: ${id.error.issues[0]?.message ?? 'invalid'}`, { reason: 'invalid_worker_id' });
  const labels = WorkerOwnLabelsSchema.safeParse(options.labels ?? {});
  if (!labels.success) throw new ValidationError(`worker labels: ${labels.error.issues[0]?.message ?? 'invalid'}`, { reason: 'invalid_labels' });
  const concurrency = options.concurrency ?? 1;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new ValidationError(`concurrency must be an integer 1–64 (got ${concurrency})`, { reason: 'invalid_concurrency' });
  for (const [name, url] of [['server URL', options.serverUrl], ['Redis URL', options.redisUrl]] as const) {
    if (!URL.canParse(url)) throw new ValidationError(`${name} ${JSON.stringify(url)} is not a URL`, { reason: 'invalid_url' });
  }
  return { workerId: id.data, labels: labels.data, concurrency };
}

/**
 * Starts a remote training worker: one BullMQ `Worker` per queue its labels cover, sharing `concurrency`
 * slots; each message is claimed from the server, its dataset version and weights downloaded, the trainer
 * run under `yoloops-agent` in its own process group, cancels from the heartbeat obeyed, the exit posted,
 * and only then the message completed. The server or Redis being away is retried; the trainers go on.
 * @example
 * const worker = createTrainingWorker({ serverUrl: 'http://10.0.0.2:8000', redisUrl: 'redis://10.0.0.5:6379', labels: { gpu: 'a100' } });
 * process.once('SIGTERM', () => void worker.close());
 */
export function createTrainingWorker(options: TrainingWorkerOptions): TrainingWorker {
  const { workerId, labels, concurrency } = checkOptions(options);
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const workDir = path.resolve(options.workDir ?? 'yoloops-worker');
  const shutdown = new AbortController();
  const lock = lockWorkDir(workDir);
  const http = createWorkerHttp({ serverUrl: options.serverUrl, ...(options.token ? { token: options.token } : {}) });
  const runner = createRunner(options, { workerId, workDir, http, log, signal: shutdown.signal });
  const heartbeat = startHeartbeat({
    http, workerId, log, jobs: runner.jobs, onCancel: runner.cancel,
    info: { labels, concurrency, hostname: hostname().slice(0, 255), version: agentVersion() },
    gpus: options.gpus ?? createNvidiaSmiGpuMonitor({ timeoutMs: 1500 }),
  });
  const queues = queuesForWorker(labels);
  const consumers = startQueueConsumers({
    queues, redisUrl: options.redisUrl, concurrency, runner, shutdown: shutdown.signal, log,
    lockDurationMs: options.lockDurationMs ?? 30_000, stalledIntervalMs: options.stalledIntervalMs ?? 30_000,
    handBackDelayMs: () => heartbeat.timeoutMs() + 2000,
  });
  log(`yoloops worker ${workerId}: consuming ${queues.join(', ')} (concurrency ${concurrency}) for ${options.serverUrl}`);
  let closing: Promise<void> | undefined;
  return {
    workerId,
    queues,
    jobs: runner.jobs,
    close: () => (closing ??= (async () => {
      shutdown.abort(new Error('the worker is shutting down'));
      await runner.abandonAll();
      await consumers.close();
      await heartbeat.stop();
      await http.close();
      lock.release();
    })()),
  };
}

/** The attempt runner of a worker, after killing what an earlier worker on the same folder left running. */
function createRunner(options: TrainingWorkerOptions, o: { workerId: string; workDir: string; http: WorkerHttp; log: (line: string) => void; signal: AbortSignal }): AttemptRunner {
  const retry = { backoff: { ...DEFAULT_BACKOFF, ...options.retry }, log: o.log, signal: o.signal };
  const executor = options.executor ?? createExecaTrainingExecutor();
  const orphans = reapOrphans(path.join(o.workDir, 'jobs'), executor);
  if (orphans.length > 0) o.log(`yoloops worker: killed trainers an earlier worker left running in ${o.workDir}: ${orphans.join(', ')}`);
  return createAttemptRunner({
    workerId: o.workerId, serverUrl: options.serverUrl.replace(/\/+$/, ''), http: o.http, retry, log: o.log, jobsDir: path.join(o.workDir, 'jobs'), executor,
    datasets: createDatasetCache({ http: o.http, dir: path.join(o.workDir, 'datasets'), retry, ...(options.maxDatasetBytes ? { maxZipBytes: options.maxDatasetBytes } : {}) }),
    agentCommand: options.agentCommand ?? defaultAgentCommand(), agentFlags: options.agentFlags ?? defaultAgentFlags(),
    ...(options.agentFlushTimeoutS !== undefined ? { agentFlushTimeoutS: options.agentFlushTimeoutS } : {}),
    ...(options.stopGraceMs !== undefined ? { graceMs: options.stopGraceMs } : {}),
    ...(options.interruptGraceMs !== undefined ? { interruptGraceMs: options.interruptGraceMs } : {}),
  });
}
