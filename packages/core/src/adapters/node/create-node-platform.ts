import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createAnnotationService } from '../../annotations/annotation-service.js';
import type { DatasetLimits } from '../../datasets/dataset-limits.js';
import { createDatasetService } from '../../datasets/dataset-service.js';
import { systemClock, type Clock } from '../../platform/clock.port.js';
import type { ResourceIndex } from '../../catalog/resource-index.port.js';
import type { ProjectStore } from '../../catalog/project-store.port.js';
import { createFsBlobStore, sweepFsBlobStore, sweepScratch } from '../fs/fs-blob-store.js';
import { createSharpImageProbe } from '../sharp/sharp-image-probe.js';
import { openSqliteDatabase, type SqliteDatabase } from '../sqlite/sqlite-database.js';
import { createInstructionDatasetService, type InstructionDatasetService } from '../../instructions/instruction-dataset-service.js';
import { createJobService, type JobServiceDeps } from '../../jobs/job-service.js';
import { createExecaTrainingExecutor } from '../execa/execa-training-executor.js';
import { createModelService } from '../../models/model-service.js';
import { createInferenceService, type InferenceService } from './inference-service.js';
import { sharedOnnxOutputProbe } from '../onnxruntime/onnx-output-probe.js';
import { DEFAULT_DATASET_LIMITS } from '../../datasets/dataset-limits.js';
import { createGpuService, type GpuService } from '../../gpu/gpu-service.js';
import { createSettingsService, type SettingsService } from '../../settings/settings-service.js';
import { createNvidiaSmiGpuMonitor } from '../nvidia-smi/nvidia-smi-gpu-monitor.js';
import { createSystemProbe, type SystemProbe } from './system-probe.js';
import { loadBaseModelCatalog } from './load-base-model-catalog.js';
import { createFinetuneRegistration } from '../../jobs/register-finetune.js';
import { openAccounts } from './open-accounts.js';
import { dispatchOptionsFromEnv, openNodeDispatch, type NodeDispatchOptions } from './node-dispatch.js';
import { databaseOptionsFromEnv, openNodeDatabase, type NodeDatabaseOptions } from './node-database.js';
import { openNodeLogBus } from './node-log-bus.js';
import type { LogBus } from '../../jobs/log-bus.port.js';
import { createPlatformStores, type PlatformStores } from './platform-stores.js';
import type { PostgresDatabase } from '../postgres/postgres-database.js';
import type { AccountService } from '../../accounts/account-service.js';
import type { PasswordCost } from '../../accounts/password-hash.js';
import { createGenerationService, type GenerationService } from '../../generation/generation-service.js';
import { createLlamaCppTextGenerator, type LlamaCppTextGeneratorOptions } from '../llama-cpp/llama-cpp-text-generator.js';
import { createOpenAiCompatibleTextGenerator } from '../openai/openai-compatible-text-generator.js';
import type { OpenAiCompatibleTextGeneratorOptions } from '../openai/openai-upstream-options.js';
import { createServerRegistry, startRecoverySweep, type ServerRegistry } from '../../servers/server-liveness.js';
import { localServerIdentity } from './local-server-instance.js';

/** Training options of the node platform (see `JobServiceDeps`); `watchdogMs` is how often running trainers are checked (default 5000). */
export type NodeJobOptions = Partial<Pick<JobServiceDeps,
  'concurrency' | 'trainerCommand' | 'agentCommand' | 'serverUrl' | 'env' | 'stopGraceMs' | 'resolveModelWeights' | 'maxExternalJobs' |
  'finetuneCommand' | 'interruptGraceMs' | 'onCompleted' | 'baseModels' | 'maxCheckpointBytes'>> & {
  watchdogMs?: number;
  /** Base-model catalog file of fine-tune jobs (`YOLOOPS_LLM_BASE_MODELS`; default: the one shipped in @yoloops/core); ignored when `baseModels` is given. */
  baseModelsFile?: string;
  /** Dispatch mode: jobs go to remote `yoloops worker`s through BullMQ on Redis (default: from `YOLOOPS_REDIS_URL`; `false`: local trainers whatever the environment says). */
  dispatch?: NodeDispatchOptions | false;
};

export interface NodePlatformOptions {
  /** Data root: `yoloops.db`, uploads and datasets live here (default `./data`). */
  dataDir: string;
  limits?: Partial<DatasetLimits>;
  /** Largest image accepted, in pixels (default 40 MP). */
  maxImagePixels?: number;
  /** `structure` (default, Ultralytics' own check) or `decode` (fully decode every image at prepare). */
  imageCheck?: 'structure' | 'decode';
  clock?: Clock;
  /**
   * Inference: requests admitted at once (default 8; the rest get 503 + Retry-After), threads the runs
   * of a model use at once (default: all cores), parallel sessions per model (default 2–4; 0: one),
   * onnxruntime execution providers (default CPU; e.g. `['cuda']`).
   */
  inference?: { maxConcurrentRequests?: number; intraOpNumThreads?: number; parallelRuns?: number; executionProviders?: readonly string[] };
  /** Training jobs: trainer/agent commands, concurrency, stop grace… */
  jobs?: NodeJobOptions;
  /** GPU monitoring: the `nvidia-smi` program (default: looked up on PATH), history sample interval (default 10 s) and length (default 60 min). */
  gpu?: { nvidiaSmi?: string; sampleIntervalMs?: number; historyMinutes?: number };
  /**
   * Accounts: the token secret (`YOLOOPS_JWT_SECRET`; default one generated into `<dataDir>/secrets/jwt-secret`),
   * user token lifetime (default 86400 s), the first admin's password (`YOLOOPS_ADMIN_PASSWORD`, used only while
   * there is no user), the scrypt cost (lower only in tests).
   */
  accounts?: { jwtSecret?: string; tokenTtlS?: number; adminPassword?: string; passwordCost?: PasswordCost };
  /**
   * Text generation: the embedded llama.cpp generator of registry GGUF models (its options; `false`: off;
   * node-llama-cpp loads on the first generation) and an OpenAI-compatible upstream (none by default).
   */
  generation?: { llama?: LlamaCppTextGeneratorOptions | false; upstream?: OpenAiCompatibleTextGeneratorOptions };
  /**
   * Metadata on a PostgreSQL server instead of `<dataDir>/yoloops.db` (default: `YOLOOPS_DATABASE_URL`,
   * `YOLOOPS_DATABASE_SCHEMA`, `YOLOOPS_DATABASE_POOL_MAX` when the URL is set; `false`: SQLite whatever the environment says).
   */
  database?: NodeDatabaseOptions | false;
  /**
   * Where shipped log lines are announced to every server's `/logs/stream` (default: Redis pub/sub on the
   * dispatch Redis (`YOLOOPS_REDIS_URL`), else PostgreSQL LISTEN/NOTIFY with a database URL, else in-process). A bus
   * given here is shared, not closed by `close()`.
   */
  logBus?: LogBus;
  /**
   * Several servers on one database: each registers a random instance id and heartbeats (default every 5 s); interrupted
   * work (prepares, processing tasks, local trainers) of another server is recovered only once it is silent for `timeoutMs`
   * (default 30 s), at start-up or by the sweep every `sweepMs` (default 15 s, or half the timeout when shorter). Default: on with PostgreSQL, off with
   * SQLite (one server; `{}` turns it on); `false`: off.
   */
  servers?: { timeoutMs?: number; heartbeatMs?: number; sweepMs?: number; instanceId?: string } | false;
}

/** Age (6 h) below which a start-up sweep of a data root shared by several servers leaves a temp file, staging or trash tree alone. */
export const SHARED_ROOT_SWEEP_AGE_MS = 6 * 3_600_000;

/**
 * The embedded default platform: SQLite (`<dataDir>/yoloops.db`, WAL) for metadata and the local
 * filesystem for files. Sweeps leftovers of interrupted work and recovers interrupted prepares on open.
 * @example
 * const platform = await createNodePlatform({ dataDir: './data' });
 * const ds = await platform.datasets.upload({ filename: 'coco8.zip', body: createReadStream('coco8.zip') });
 */
export async function createNodePlatform(options: NodePlatformOptions) {
  const dataDir = path.resolve(options.dataDir);
  // Made first, so bad GPU options stop the start before anything is opened; it samples only once started below.
  const { nvidiaSmi, ...gpuOptions } = options.gpu ?? {};
  const gpuClock = options.clock ?? systemClock;
  const gpu = createGpuService({ monitor: createNvidiaSmiGpuMonitor({ ...(nvidiaSmi ? { nvidiaSmi } : {}), clock: gpuClock }), clock: gpuClock, ...gpuOptions });
  mkdirSync(dataDir, { recursive: true });
  const databaseOptions = options.database === false ? undefined : (options.database ?? databaseOptionsFromEnv());
  // With PostgreSQL, several servers may share this data root (a shared filesystem path): a leftover that is
  // younger than SHARED_ROOT_SWEEP_AGE_MS may be another server's write in progress, so it is left for later.
  const sweep = { olderThanMs: databaseOptions === undefined ? 0 : SHARED_ROOT_SWEEP_AGE_MS };
  await sweepFsBlobStore(dataDir, sweep);
  const postgres: PostgresDatabase | undefined = databaseOptions === undefined ? undefined : await openNodeDatabase(databaseOptions, dataDir);
  const db: SqliteDatabase = openSqliteDatabase(path.join(dataDir, 'yoloops.db'));
  const clock = options.clock ?? systemClock;
  const stores: PlatformStores = createPlatformStores({ db, clock, ...(postgres ? { postgres } : {}) });
  const blobs = createFsBlobStore(dataDir);
  // Scratch space of uploads in flight (model ZIPs, videos): nothing of a previous run survives a restart.
  await sweepScratch(path.join(dataDir, 'tmp'), sweep);
  // First, so a refused secret or admin password stops the start before any job work begins.
  const accounts = await openAccounts({ db, stores, dataDir, clock, ...options.accounts }).catch(async (error: unknown) => {
    db.close();
    await postgres?.close();
    throw error;
  });
  const servers = await openServerRegistry(options.servers, postgres !== undefined, stores, clock).catch(async (error: unknown) => {
    db.close();
    await postgres?.close();
    throw error;
  });
  const owner = servers === undefined ? {} : { servers };
  const datasetStore = stores.datasets;
  const datasets = createDatasetService({
    datasets: datasetStore, blobs, clock, images: createSharpImageProbe({ maxPixels: options.maxImagePixels, check: options.imageCheck }), limits: options.limits, ...owner,
  });
  const annotations = createAnnotationService({
    annotations: stores.annotations, datasets: datasetStore, datasetService: datasets, blobs, clock,
  });
  await datasets.recoverInterrupted();
  // Instruction datasets (seed 003) share the dataset upload cap; runs a stopped server left `running` are marked failed.
  const instructions = createInstructionDatasetService({
    datasets: stores.instructionDatasets, tasks: stores.processingTasks, blobs, clock, ...owner,
    ...(options.limits?.maxUploadBytes ? { limits: { maxUploadBytes: options.limits.maxUploadBytes } } : {}),
  });
  await instructions.recoverOnStart();
  let inference: InferenceService | undefined;
  const models = createModelService({
    models: stores.models, blobs, clock, probe: sharedOnnxOutputProbe(), onModelChanged: (id) => void inference?.evict(id),
  });
  inference = createInferenceService({ models, blobs, clock, ...(options.maxImagePixels ? { maxImagePixels: options.maxImagePixels } : {}), ...options.inference });
  /** Fine-tuning starts from a registered model's PyTorch weights (Ultralytics cannot train from ONNX). */
  const resolveModelWeights = async (modelId: string) => {
    const model = await models.get(modelId).catch(() => undefined);
    if (model === undefined) return undefined;
    const pt = model.weights.find((w) => w.format === 'pt');
    return { formats: model.weights.map((w) => w.format), ...(pt ? { ptKey: models.weightsKey(model, pt.file) } : {}) };
  };
  const jobMetrics = stores.metrics;
  const { watchdogMs, baseModelsFile, onCompleted, dispatch: dispatchSetting, ...jobOptions } = options.jobs ?? {};
  const dispatchOptions = dispatchSetting === false ? undefined : (dispatchSetting ?? dispatchOptionsFromEnv());
  const dispatch = dispatchOptions === undefined ? undefined : openNodeDispatch(dispatchOptions, stores.workers);
  const baseModels = jobOptions.baseModels ?? loadBaseModelCatalog(baseModelsFile);
  // A completed fine-tune's adapter (and GGUF export) becomes a text-generation model of the registry, then the caller's hook runs.
  const registerFinetune = createFinetuneRegistration({
    registerLanguageModel: (input) => models.registerLanguageModel(input), attachModel: (jobId, modelId) => jobs.attachModel(jobId, modelId),
    ggufBaseOf: (id) => baseModels.models.find((m) => m.id === id)?.gguf_model_id,
  });
  const ownBus = options.logBus === undefined;
  const logBus = options.logBus ?? openNodeLogBus({ redisUrl: dispatchOptions?.redisUrl, databaseUrl: databaseOptions?.url, postgres });
  const jobs = createJobService({
    jobs: stores.jobs, metrics: jobMetrics, executor: createExecaTrainingExecutor(), clock, datasets: datasetStore, blobs,
    resolveModelWeights, baseModels, logBus, ...jobOptions, ...(dispatch ? { dispatch: dispatch.deps } : {}), ...owner,
    onCompleted: async (job) => {
      try {
        await registerFinetune(job);
      } finally {
        await onCompleted?.(job);
      }
    },
    // Each attempt's trainer (and its agent) gets a token scoped to its own job, in the environment, never the argv.
    envFor: async (job) => ({ YOLOOPS_AGENT_TOKEN: (await accounts.issueAgentToken(job.job_id)).token }),
  });
  await jobs.recoverOnStart();
  const stopWatchdog = jobs.startWatchdog(watchdogMs);
  // Prepares and processing tasks of a server that died while this one runs are taken over by this sweep (jobs: by the watchdog).
  const liveness = options.servers === false ? undefined : options.servers;
  // Every 15 s, or twice per timeout when that is shorter, so that a dead server's work waits at most ~1.5 timeouts.
  const sweepMs = liveness?.sweepMs ?? Math.min(15_000, Math.max(1000, Math.floor((liveness?.timeoutMs ?? 30_000) / 2)));
  const stopSweep = servers === undefined ? () => {} : startRecoverySweep(sweepMs, [() => datasets.recoverInterrupted(), () => instructions.recoverOnStart()]);
  /** Seed 002's numeric ids, owners and projects of every resource. */
  const resources = stores.resources;
  const projects = stores.projects;
  void gpu.start(); // history only while GPUs exist; the first reading never delays the start
  const settings = createSettingsService({ store: stores.settings });
  // Model ZIPs get the model service's default cap (the dataset default), as the platform passes it none.
  const system = createSystemProbe({
    dataDir, db, ...(postgres ? { postgres } : {}), limits: { maxDatasetUploadBytes: options.limits?.maxUploadBytes ?? DEFAULT_DATASET_LIMITS.maxUploadBytes, maxModelUploadBytes: DEFAULT_DATASET_LIMITS.maxUploadBytes },
  });
  const { llama, upstream } = options.generation ?? {};
  const generation = createGenerationService({
    models, clock, ...(llama === false ? {} : { embedded: createLlamaCppTextGenerator(llama ?? {}) }), ...(upstream ? { upstream: createOpenAiCompatibleTextGenerator(upstream) } : {}),
  });
  const platform: {
    dataDir: string; db: SqliteDatabase; postgres: PostgresDatabase | undefined; stores: PlatformStores;
    blobs: typeof blobs; datasets: typeof datasets; annotations: typeof annotations; close(): Promise<void>;
    jobs: typeof jobs; jobMetrics: typeof jobMetrics; models: typeof models; inference: InferenceService;
    resources: ResourceIndex; projects: ProjectStore; accounts: AccountService; instructions: InstructionDatasetService;
    gpu: GpuService; settings: SettingsService; system: SystemProbe; generation: GenerationService;
    /** This server's registration among the servers sharing the database (undefined: alone, SQLite). */
    servers: ServerRegistry | undefined;
  } = {
    servers, dataDir, db, postgres, stores, blobs, datasets, annotations, jobs, jobMetrics, models, inference, resources, projects, accounts, gpu, settings, system, instructions, generation,
    close: async () => {
      gpu.stop();
      stopWatchdog();
      stopSweep();
      await servers?.close().catch(() => undefined);
      await dispatch?.close().catch(() => undefined);
      void inference?.close();
      void generation.close();
      db.close();
      if (ownBus) await logBus.close().catch(() => undefined);
      await postgres?.close();
    },
  };
  return platform;
}

/** Registers this server among those sharing the database (on by default with PostgreSQL only) and starts its heartbeat. */
async function openServerRegistry(setting: NodePlatformOptions['servers'], shared: boolean, stores: PlatformStores, clock: Clock) {
  if (setting === false || (setting === undefined && !shared)) return undefined;
  const { sweepMs: _sweep, ...registryOptions } = setting ?? {};
  const registry = createServerRegistry({ store: stores.servers, clock, ...localServerIdentity(), ...registryOptions });
  await registry.start();
  return registry;
}

export type NodePlatform = Awaited<ReturnType<typeof createNodePlatform>>;
