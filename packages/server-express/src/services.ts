import type { InferenceService, SystemProbe } from '@yoloops/core/node';
import type { GpuService, SettingsService } from '@yoloops/core';
import type { AccountService, AnnotationService, BlobStore, DatasetService, GenerationService, InstructionDatasetService, JobService, MetricStore, ModelService, ProjectStore, ResourceIndex } from '@yoloops/core';

/** What route handlers may use; built by `createApp` from the core platform. */
export interface AppServices {
  datasets: DatasetService;
  annotations: AnnotationService;
  blobs: BlobStore;
  jobs: JobService;
  /** Per-epoch metrics of training jobs. */
  jobMetrics: MetricStore;
  models: ModelService;
  /** Detection on images and videos, saved inference sessions. */
  inference: InferenceService;
  /** Numeric ids, owners and projects of every resource (seed 002, tenancy). */
  resources: ResourceIndex;
  /** Seed 002 projects. */
  projects: ProjectStore;
  /** Users, passwords, tokens, agent tokens and notify secrets. */
  accounts: AccountService;
  /** The machine's GPUs (nvidia-smi, cached a second) and their sampled history. */
  gpu: GpuService;
  /** Settings people change: GPU alert thresholds, each user's preferences. */
  settings: SettingsService;
  /** The data root's filesystem and size, upload caps, a database check, programs on PATH. */
  system: SystemProbe;
  /** Instruction datasets of language-model fine-tuning (seed 003 upload and process) and their processing runs. */
  instructions: InstructionDatasetService;
  /** Text generation: registry GGUF models on embedded llama.cpp, other model names on the OpenAI-compatible upstream. */
  generation: GenerationService;
}
