import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createAnnotationService } from '../../annotations/annotation-service.js';
import type { DatasetLimits } from '../../datasets/dataset-limits.js';
import { createDatasetService } from '../../datasets/dataset-service.js';
import { systemClock, type Clock } from '../../platform/clock.port.js';
import type { ResourceIndex } from '../../catalog/resource-index.port.js';
import type { ProjectStore } from '../../catalog/project-store.port.js';
import { createFsBlobStore, sweepFsBlobStore } from '../fs/fs-blob-store.js';
import { createSharpImageProbe } from '../sharp/sharp-image-probe.js';
import { createSqliteAnnotationStore } from '../sqlite/sqlite-annotation-store.js';
import { openSqliteDatabase, type SqliteDatabase } from '../sqlite/sqlite-database.js';
import { createSqliteDatasetStore } from '../sqlite/sqlite-dataset-store.js';
import { createInstructionDatasetService, type InstructionDatasetService } from '../../instructions/instruction-dataset-service.js';
import { createSqliteInstructionDatasetStore } from '../sqlite/sqlite-instruction-dataset-store.js';
import { createSqliteProcessingTaskStore } from '../sqlite/sqlite-processing-task-store.js';
import { createJobService, type JobServiceDeps } from '../../jobs/job-service.js';
import { createExecaTrainingExecutor } from '../execa/execa-training-executor.js';
import { createSqliteJobStore } from '../sqlite/sqlite-job-store.js';
import { createSqliteModelStore } from '../sqlite/sqlite-model-store.js';
import { createModelService } from '../../models/model-service.js';
import { createInferenceService, type InferenceService } from './inference-service.js';
import { sharedOnnxOutputProbe } from '../onnxruntime/onnx-output-probe.js';
import { createSqliteMetricStore } from '../sqlite/sqlite-metric-store.js';
import { createSqliteResourceIndex } from '../sqlite/sqlite-resource-index.js';
import { createSqliteProjectStore } from '../sqlite/sqlite-project-store.js';
import { DEFAULT_DATASET_LIMITS } from '../../datasets/dataset-limits.js';
import { createGpuService, type GpuService } from '../../gpu/gpu-service.js';
import { createSettingsService, type SettingsService } from '../../settings/settings-service.js';
import { createNvidiaSmiGpuMonitor } from '../nvidia-smi/nvidia-smi-gpu-monitor.js';
import { createSqliteSettingsStore } from '../sqlite/sqlite-settings-store.js';
import { createSystemProbe, type SystemProbe } from './system-probe.js';
import { loadBaseModelCatalog } from './load-base-model-catalog.js';
import { createFinetuneRegistration } from '../../jobs/register-finetune.js';
import { openAccounts } from './open-accounts.js';
import type { AccountService } from '../../accounts/account-service.js';
import type { PasswordCost } from '../../accounts/password-hash.js';
import { createGenerationService, type GenerationService } from '../../generation/generation-service.js';
import { createLlamaCppTextGenerator, type LlamaCppTextGeneratorOptions } from '../llama-cpp/llama-cpp-text-generator.js';
import { createOpenAiCompatibleTextGenerator } from '../openai/openai-compatible-text-generator.js';
import type { OpenAiCompatibleTextGeneratorOptions } from '../openai/openai-upstream-options.js';

/** Training options of the node platform (see `JobServiceDeps`); `watchdogMs` is how often running trainers are checked (default 5000). */
export type NodeJobOptions = Partial<Pick<JobServiceDeps,
  'concurrency' | 'trainerCommand' | 'agentCommand' | 'serverUrl' | 'env' | 'stopGraceMs' | 'resolveModelWeights' | 'maxExternalJobs' |
  'finetuneCommand' | 'interruptGraceMs' | 'onCompleted' | 'baseModels'>> & {
  watchdogMs?: number;
  /** Base-model catalog file of fine-tune jobs (`YOLOOPS_LLM_BASE_MODELS`; default: the one shipped in @yoloops/core); ignored when `baseModels` is given. */
  baseModelsFile?: string;
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
}

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
  await sweepFsBlobStore(dataDir);
  const db: SqliteDatabase = openSqliteDatabase(path.join(dataDir, 'yoloops.db'));
  const blobs = createFsBlobStore(dataDir);
  // Scratch space of uploads in flight (model ZIPs, videos): nothing in it survives a restart.
  await blobs.delete('tmp');
  const clock = options.clock ?? systemClock;
  // First, so a refused secret or admin password stops the start before any job work begins.
  const accounts = await openAccounts({ db, dataDir, clock, ...options.accounts }).catch((error: unknown) => {
    db.close();
    throw error;
  });
  const datasetStore = createSqliteDatasetStore(db);
  const datasets = createDatasetService({
    datasets: datasetStore, blobs, clock, images: createSharpImageProbe({ maxPixels: options.maxImagePixels, check: options.imageCheck }), limits: options.limits,
  });
  const annotations = createAnnotationService({
    annotations: createSqliteAnnotationStore(db), datasets: datasetStore, datasetService: datasets, blobs, clock,
  });
  await datasets.recoverInterrupted();
  // Instruction datasets (seed 003) share the dataset upload cap; runs a stopped server left `running` are marked failed.
  const instructions = createInstructionDatasetService({
    datasets: createSqliteInstructionDatasetStore(db), tasks: createSqliteProcessingTaskStore(db), blobs, clock,
    ...(options.limits?.maxUploadBytes ? { limits: { maxUploadBytes: options.limits.maxUploadBytes } } : {}),
  });
  await instructions.recoverOnStart();
  let inference: InferenceService | undefined;
  const models = createModelService({
    models: createSqliteModelStore(db), blobs, clock, probe: sharedOnnxOutputProbe(), onModelChanged: (id) => void inference?.evict(id),
  });
  inference = createInferenceService({ models, blobs, clock, ...(options.maxImagePixels ? { maxImagePixels: options.maxImagePixels } : {}), ...options.inference });
  /** Fine-tuning starts from a registered model's PyTorch weights (Ultralytics cannot train from ONNX). */
  const resolveModelWeights = async (modelId: string) => {
    const model = await models.get(modelId).catch(() => undefined);
    if (model === undefined) return undefined;
    const pt = model.weights.find((w) => w.format === 'pt');
    return { formats: model.weights.map((w) => w.format), ...(pt ? { ptKey: models.weightsKey(model, pt.file) } : {}) };
  };
  const jobMetrics = createSqliteMetricStore(db);
  const { watchdogMs, baseModelsFile, onCompleted, ...jobOptions } = options.jobs ?? {};
  const baseModels = jobOptions.baseModels ?? loadBaseModelCatalog(baseModelsFile);
  // A completed fine-tune's adapter (and GGUF export) becomes a text-generation model of the registry, then the caller's hook runs.
  const registerFinetune = createFinetuneRegistration({
    registerLanguageModel: (input) => models.registerLanguageModel(input), attachModel: (jobId, modelId) => jobs.attachModel(jobId, modelId),
    ggufBaseOf: (id) => baseModels.models.find((m) => m.id === id)?.gguf_model_id,
  });
  const jobs = createJobService({
    jobs: createSqliteJobStore(db), metrics: jobMetrics, executor: createExecaTrainingExecutor(), clock, datasets: datasetStore, blobs,
    resolveModelWeights, baseModels, ...jobOptions,
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
  /** Seed 002's numeric ids, owners and projects of every resource. */
  const resources = createSqliteResourceIndex(db, { clock });
  const projects = createSqliteProjectStore(db, { clock });
  void gpu.start(); // history only while GPUs exist; the first reading never delays the start
  const settings = createSettingsService({ store: createSqliteSettingsStore(db, clock) });
  // Model ZIPs get the model service's default cap (the dataset default), as the platform passes it none.
  const system = createSystemProbe({
    dataDir, db, limits: { maxDatasetUploadBytes: options.limits?.maxUploadBytes ?? DEFAULT_DATASET_LIMITS.maxUploadBytes, maxModelUploadBytes: DEFAULT_DATASET_LIMITS.maxUploadBytes },
  });
  const { llama, upstream } = options.generation ?? {};
  const generation = createGenerationService({
    models, clock, ...(llama === false ? {} : { embedded: createLlamaCppTextGenerator(llama ?? {}) }), ...(upstream ? { upstream: createOpenAiCompatibleTextGenerator(upstream) } : {}),
  });
  const platform: {
    dataDir: string; db: SqliteDatabase; blobs: typeof blobs; datasets: typeof datasets; annotations: typeof annotations; close(): void;
    jobs: typeof jobs; jobMetrics: typeof jobMetrics; models: typeof models; inference: InferenceService;
    resources: ResourceIndex; projects: ProjectStore; accounts: AccountService; instructions: InstructionDatasetService;
    gpu: GpuService; settings: SettingsService; system: SystemProbe; generation: GenerationService;
  } = {
    dataDir, db, blobs, datasets, annotations, jobs, jobMetrics, models, inference, resources, projects, accounts, gpu, settings, system, instructions, generation, close: () => {
      gpu.stop();
      stopWatchdog();
      void inference?.close();
      void generation.close();
      db.close();
    },
  };
  return platform;
}

export type NodePlatform = Awaited<ReturnType<typeof createNodePlatform>>;
