import { CoreError, InvalidStateError, NotFoundError, UnsupportedError, ValidationError } from '../errors.js';
import type { DatasetStore } from '../datasets/dataset-store.port.js';
import type { Clock } from '../platform/clock.port.js';
import type { BaseModelCatalog } from './base-model-catalog.js';
import { assertRunHere } from './external-job.js';
import { createCompletionHook, writeFinetuneConfig, type OnJobCompleted } from './finetune-completion.js';
import { finetuneResumePoint, planFinetuneJob } from './finetune-requests.js';
import type { CreateFinetuneJobRequest } from './finetune.schema.js';
import { createAgentUploads } from './agent-uploads.js';
import { createMemoryLogBus } from '../adapters/memory/memory-log-bus.js';
import type { LogBus } from './log-bus.port.js';
import { createJobNotify } from './job-notify.js';
import { createJobRunner } from './job-runner.js';
import { createDispatchRunner } from './dispatch-runner.js';
import type { JobDispatcher } from './job-dispatcher.port.js';
import { createWorkerDispatch } from '../workers/worker-dispatch.js';
import type { WorkerStore } from '../workers/worker-store.port.js';
import type { WorkerLabels } from '../workers/worker.schema.js';
import { dataYamlKey, jobKeys, type LocalBlobStore } from './job-paths.js';
import { planChildJob, planNewJob, requireDataYaml, RESUMED_FROM_START, type ResolveModelWeights } from './job-requests.js';
import { assertTransition, isTerminal, RESUMABLE, transitionJob } from './job-state.js';
import type { JobStore } from './job-store.port.js';
import type { CreateJobRequest, Job, JobStatus, TrainerCommand } from './job.schema.js';
import type { MetricStore } from './metric-store.port.js';
import { buildAttemptArgv, checkArgvTemplate, DEFAULT_AGENT_COMMAND, DEFAULT_FINETUNE_COMMAND, DEFAULT_TRAINER_COMMAND, describeMissingProgram } from './trainer-command.js';
import type { TrainingExecutor } from './training-executor.port.js';
import type { ServerLiveness } from '../servers/server-liveness.js';

/** Dependencies and settings of the job service; only the first six are required. */
export interface JobServiceDeps {
  jobs: JobStore;
  metrics: MetricStore;
  executor: TrainingExecutor;
  clock: Clock;
  datasets: DatasetStore;
  /** The data root as a blob store with local paths: jobs live under `jobs/`, datasets under `datasets/`. */
  blobs: LocalBlobStore;
  /** Processes alive at once (default 1); the rest wait `queued`, started oldest first. */
  concurrency?: number;
  /** Default trainer templates (default: the Ultralytics CLI); a job may carry its own. */
  trainerCommand?: TrainerCommand;
  /** Wrapper before the trainer argv (default `DEFAULT_AGENT_COMMAND`); null runs the trainer directly. */
  agentCommand?: readonly string[] | null;
  /** `{server}` of the agent command (default `http://127.0.0.1:8000`). */
  serverUrl?: string;
  /** Extra environment for every trainer. */
  env?: Readonly<Record<string, string>>;
  /**
   * Environment of one attempt, added last (e.g. `YOLOOPS_AGENT_TOKEN`, a token scoped to the job): what
   * must not be in the argv, which is stored and shown as the job's `command`.
   */
  envFor?: (job: Job) => Readonly<Record<string, string>> | Promise<Readonly<Record<string, string>>>;
  /** SIGTERM → SIGKILL grace period of a stop (default 5000 ms, as the origin). */
  stopGraceMs?: number;
  /** Weights of a registered model, for fine-tuning (`base_model_id`). */
  resolveModelWeights?: ResolveModelWeights;
  /** Most external jobs (registered by a seed 004 caller's own task id) kept at once; default 1000. */
  maxExternalJobs?: number;
  /** Trainer templates of `llm-finetune` jobs (default: LLaMA-Factory, `llamafactory-cli train {config}`). */
  finetuneCommand?: TrainerCommand;
  /** Base models a fine-tune may start from (an operator-edited catalog file); without it `createFinetune` is UNSUPPORTED. */
  baseModels?: BaseModelCatalog;
  /** SIGINT → SIGTERM grace of stopping an `llm-finetune` job (default 30000 ms: the trainer saves a checkpoint). */
  interruptGraceMs?: number;
  /** Runs once a job completed (a fine-tune's `outputs` already collected), e.g. to register the model; errors land in `completion_error`. */
  onCompleted?: OnJobCompleted;
  /**
   * Dispatch mode: queued jobs become messages for remote workers (`yoloops worker`) instead of local processes;
   * claims, heartbeats and exits arrive through `workers` (the worker routes).
   */
  dispatch?: { dispatcher: JobDispatcher; workers: WorkerStore; timeoutMs?: number; heartbeatMs?: number; onError?: (error: unknown, job: Job) => void };
  /** Where shipped log appends are announced to every replica's log streams (default: in-process). */
  logBus?: LogBus;
  /** Largest checkpoint an agent may upload (default 4 GiB). */
  maxCheckpointBytes?: number;
  /** Largest single run file (a fine-tune's checkpoint or output file) an agent may upload (default 64 GiB). */
  maxRunFileBytes?: number;
  /** Local trainers with several servers on one database: launches record this server (`server_id`), and crash checks leave a live other server's jobs alone. */
  servers?: ServerLiveness;
}

const refuseFinetune = (job: Job): Job => {
  if (job.kind !== 'llm-finetune') return job;
  throw new UnsupportedError(`job ${job.job_id} is a fine-tune: extend trains a detector further; start a new fine-tune instead`, { reason: 'extend_finetune', details: { job_id: job.job_id } });
};
const TERMINAL: readonly JobStatus[] = ['completed', 'failed', 'stopped', 'crashed'];
const notFound = (jobId: string) => new NotFoundError('Job not found', { reason: 'job_not_found', details: { job_id: jobId } });

function describeStartError(error: unknown): string {
  if (error instanceof CoreError && error.reason === 'program_not_found') {
    return describeMissingProgram(String(error.details.program), typeof error.details.errno === 'string' ? error.details.errno : undefined);
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * Training job use cases: create (queued, started when a slot frees), list, get, stop, resume from
 * last.pt, extend as a child job, delete; plus crash recovery. See jobs/README.md for the
 * persist-before-act order of every transition and the crash semantics.
 * @example
 * const jobs = createJobService({ jobs: store, metrics, executor: createExecaTrainingExecutor(), clock: systemClock, datasets, blobs });
 * await jobs.recoverOnStart();
 * const job = await jobs.create({ dataset_id: 'ds_1', epochs: 50 });
 */
export function createJobService(deps: JobServiceDeps) {
  const { jobs, blobs, clock } = deps;
  const trainer = deps.trainerCommand ?? DEFAULT_TRAINER_COMMAND;
  const agent = deps.agentCommand === undefined ? DEFAULT_AGENT_COMMAND : deps.agentCommand;
  const checkTrainer = (command: TrainerCommand) => {
    checkArgvTemplate(command.train, 'trainer command (train)');
    checkArgvTemplate(command.resume, 'trainer command (resume)');
  };
  checkTrainer(trainer);
  const finetuneTrainer = deps.finetuneCommand ?? DEFAULT_FINETUNE_COMMAND;
  checkTrainer(finetuneTrainer);
  const interruptGraceMs = deps.interruptGraceMs ?? 30_000;
  const completion = createCompletionHook({ jobs, blobs, onCompleted: deps.onCompleted });
  if (agent !== null) checkArgvTemplate(agent, 'agent command');
  const concurrency = deps.concurrency ?? 1;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw new ValidationError(`concurrency must be a positive integer (got ${concurrency})`, { reason: 'invalid_concurrency' });
  const planDeps = { datasets: deps.datasets, blobs, clock, resolveModelWeights: deps.resolveModelWeights };
  const serverUrl = deps.serverUrl ?? 'http://127.0.0.1:8000';
  const now = () => clock.now().toISOString();

  const specFor = async (job: Job) => {
    // `resumed_from: "start"`: the attempt before left no checkpoint, so this one trains again from the original weights.
    const resume = job.attempt > 1 && job.resumed_from !== undefined && job.resumed_from !== RESUMED_FROM_START;
    const keys = jobKeys(job.job_id);
    const llm = job.kind === 'llm-finetune' ? job.llm : undefined;
    const values = {
      data: llm ? llm.dataset_dir : blobs.localPath(dataYamlKey(job.dataset_id, job.version)), model: resume ? (job.resumed_from ?? '') : job.original_model_path,
      epochs: String(job.epochs), imgsz: String(job.imgsz), batch: String(job.batch), project: blobs.localPath(keys.dir), name: 'train',
      job_id: job.job_id, run_dir: job.run_dir, server: serverUrl, config: llm ? await writeFinetuneConfig(blobs, job) : '',
    };
    const argv = buildAttemptArgv({ trainer: job.trainer_command ?? (llm ? finetuneTrainer : trainer), agent, resume, values });
    const env = {
      ...deps.env, PYTHONIOENCODING: 'utf-8', PYTHONUNBUFFERED: '1', YOLOOPS_ATTEMPT: String(job.attempt), YOLOOPS_AGENT_ATTEMPT: String(job.attempt),
      ...(deps.envFor ? await deps.envFor(job) : {}),
    };
    return { jobId: job.job_id, argv, cwd: values.project, env, logFile: job.log_file };
  };
  const unreported = () =>
    `the trainer exited cleanly, but the trainer agent's reports never reached this server (it reported to ${serverUrl}), ` +
    'so no epoch, status or model of this run was recorded; the job log shows what the agent met. ' +
    'If trainers reach this server under another address, set YOLOOPS_PUBLIC_URL (library: serverUrl)';
  const dispatch = deps.dispatch;
  const workers = dispatch && createWorkerDispatch({
    jobs, workers: dispatch.workers, blobs, clock, timeoutMs: dispatch.timeoutMs, heartbeatMs: dispatch.heartbeatMs, describeUnreportedExit: unreported,
    trainerFor: (job) => job.trainer_command ?? (job.kind === 'llm-finetune' ? finetuneTrainer : trainer),
    agentTokenFor: async (job) => (deps.envFor ? ((await deps.envFor(job)).YOLOOPS_AGENT_TOKEN ?? null) : null),
  });
  const runner = dispatch && workers ? createDispatchRunner({
    jobs, dispatcher: dispatch.dispatcher, workers: dispatch.workers, clock, isAbandoned: workers.isAbandoned, ...(dispatch.onError ? { onDispatchError: dispatch.onError } : {}),
  }) : createJobRunner({
    jobs, executor: deps.executor, clock, concurrency, stopGraceMs: deps.stopGraceMs ?? 5000, specFor, describeStartError, completion,
    interruptGraceFor: (job) => (job.kind === 'llm-finetune' ? interruptGraceMs : undefined),
    ...(agent === null ? {} : { describeUnreportedExit: unreported }), ...(deps.servers ? { servers: deps.servers } : {}),
  });

  async function mustGet(jobId: string): Promise<Job> {
    const job = await jobs.get(jobId);
    if (job === undefined) throw notFound(jobId);
    return job;
  }
  /** Throws the error a lost compare-and-set deserves: NOT_FOUND, or the illegal move from the status that won. */
  async function refuse(jobId: string, to: JobStatus, hint: string): Promise<never> {
    const current = await mustGet(jobId);
    assertTransition(current.status, to, { jobId, hint });
    throw new InvalidStateError(`job ${jobId} changed while being moved to "${to}"; try again`, { reason: 'conflict', details: { job_id: jobId } });
  }

  async function stop(jobId: string): Promise<Job> {
    assertRunHere(await mustGet(jobId), 'stop');
    const stopped = await transitionJob(jobs, jobId, ['queued', 'running'], 'stopped', { stopped_at: now() });
    if (stopped === undefined) {
      const current = await mustGet(jobId);
      throw new InvalidStateError(`Job ${jobId} is not running (status "${current.status}")`, { reason: 'not_running', details: { job_id: jobId, status: current.status } });
    }
    await runner.halt(jobId);
    return (await jobs.get(jobId)) ?? stopped;
  }

  async function resume(jobId: string): Promise<Job> {
    const job = assertRunHere(await mustGet(jobId), 'resume');
    assertTransition(job.status, 'queued', { jobId, hint: job.status === 'completed' ? 'a completed job cannot resume; extend it instead' : 'only stopped, failed or crashed jobs resume' });
    // Like the origin: continue from last.pt (a fine-tune: its newest checkpoint-N); a run that never wrote one starts again.
    const lastPt = jobKeys(jobId).lastPt;
    const from = job.kind === 'llm-finetune' ? await finetuneResumePoint(blobs, job) : (await blobs.stat(lastPt)) ? blobs.localPath(lastPt) : RESUMED_FROM_START;
    if (job.kind !== 'llm-finetune') await requireDataYaml(planDeps, job.dataset_id, job.version);
    const at = now();
    const queued = await transitionJob(jobs, jobId, RESUMABLE, 'queued', (current) => ({
      attempt: current.attempt + 1, resume_count: (current.resume_count ?? 0) + 1, resumed_at: at, queued_at: at, resumed_from: from,
      error: undefined, exit_code: undefined, signal: undefined, pid: undefined, finished_at: undefined, worker_id: undefined,
    }));
    if (queued === undefined) return refuse(jobId, 'queued', 'it changed while resuming');
    void runner.pump();
    return queued;
  }

  /** Stops the job if needed, then removes the record (only once no process is left), its metrics, run folder and log. */
  async function remove(jobId: string): Promise<void> {
    for (let round = 0; round < 10; round++) {
      const job = await mustGet(jobId);
      // An external job has no process here: its record goes whatever its status (a later report registers it again).
      if (!isTerminal(job.status) && job.external !== true) await stop(jobId).catch((error: unknown) => (error instanceof InvalidStateError ? undefined : Promise.reject(error)));
      await runner.halt(jobId);
      if (!runner.has(jobId) && (await jobs.delete(jobId, job.external === true ? {} : { ifStatus: TERMINAL }))) {
        await deps.metrics.deleteJob(jobId);
        await blobs.delete(jobKeys(jobId).dir);
        await blobs.delete(jobKeys(jobId).log);
        return;
      }
    }
    throw new InvalidStateError(`Job ${jobId} kept being restarted while it was being deleted; try again`, { reason: 'conflict' });
  }

  async function enqueue(job: Job): Promise<Job> {
    await jobs.create(job);
    void runner.pump();
    return job;
  }

  return {
    /**
     * Validates and queues an `llm-finetune` job (base model from the catalog, processed dataset folder
     * from the data root); it runs the fine-tune command (LLaMA-Factory by default) with the YAML it writes.
     */
    async createFinetune(request: CreateFinetuneJobRequest, options: { trainerCommand?: TrainerCommand } = {}): Promise<Job> {
      if (options.trainerCommand) checkTrainer(options.trainerCommand);
      return enqueue(await planFinetuneJob({ blobs, clock, baseModels: deps.baseModels }, request, options.trainerCommand));
    },
    /** The base models a fine-tune may start from (empty without a catalog). */
    baseModels: () => deps.baseModels?.models ?? [],
    /** Validates and queues a new job; it starts when a slot is free. `trainerCommand` overrides the templates for this job (SDK only). */
    async create(request: CreateJobRequest, options: { trainerCommand?: TrainerCommand } = {}): Promise<Job> {
      if (options.trainerCommand) checkTrainer(options.trainerCommand);
      return enqueue(await planNewJob(planDeps, request, options.trainerCommand));
    },
    list: () => jobs.list(),
    get: mustGet,
    /** What new jobs run with: the trainer templates, the agent wrapper (null: none) and how many train at once. */
    config: () => ({ trainerCommand: trainer, finetuneCommand: finetuneTrainer, agentCommand: agent, concurrency }),
    stop,
    resume,
    delete: remove,
    /** Queues a child job training `extraEpochs` more from this job's last (or best) weights. */
    extend: async (jobId: string, extraEpochs: number, options: { workerLabels?: WorkerLabels } = {}) => {
      const parent = refuseFinetune(assertRunHere(await mustGet(jobId), 'extend'));
      const child = await planChildJob(planDeps, parent, extraEpochs);
      const labels = options.workerLabels ?? parent.worker_labels;
      return enqueue(labels === undefined ? child : { ...child, worker_labels: labels });
    },
    /** Dispatch mode's worker use cases (heartbeat, claim, exit, list); undefined when trainers run here. */
    workers,
    /** Call once at start-up: crashed jobs are marked, survivors adopted, interrupted stops finished, the queue filled. */
    recoverOnStart: () => runner.recover(),
    checkAlive: () => runner.checkAlive(),
    /** Runs `checkAlive` every `intervalMs` (unref'd timer); returns the function that stops it. */
    /** What a trainer (agent or seed 004 caller) reports: epochs, status changes, its registered model. See job-notify.ts. */
    ...createJobNotify({ jobs, metrics: deps.metrics, clock, completion, ...(deps.maxExternalJobs === undefined ? {} : { maxExternalJobs: deps.maxExternalJobs }) }),
    /** What a remote agent uploads: shipped log lines and checkpoints, fenced by attempt. See agent-uploads.ts. */
    ...createAgentUploads({ jobs, blobs, logBus: deps.logBus ?? createMemoryLogBus(), ...(deps.maxCheckpointBytes === undefined ? {} : { maxCheckpointBytes: deps.maxCheckpointBytes }),
      ...(deps.maxRunFileBytes === undefined ? {} : { maxRunFileBytes: deps.maxRunFileBytes }) }),
    startWatchdog(intervalMs = 5000): () => void {
      const timer = setInterval(() => void runner.checkAlive().catch(() => undefined), intervalMs);
      timer.unref();
      return () => clearInterval(timer);
    },
  };
}

/** The training job use cases returned by `createJobService`. */
export type JobService = ReturnType<typeof createJobService>;
