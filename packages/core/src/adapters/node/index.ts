export { createNodePlatform, type NodePlatform, type NodePlatformOptions } from './create-node-platform.js';
export { createFsBlobStore, sweepFsBlobStore } from './fs-blob-store.js';
export { createSharpImageProbe, hardenSharp, type SharpImageProbeOptions } from './sharp-image-probe.js';
export { openSqliteDatabase, migrateSqliteDatabase, MIGRATIONS, type SqliteDatabase } from './sqlite-database.js';
export { createSqliteDatasetStore } from './sqlite-dataset-store.js';
export { createSqliteAnnotationStore } from './sqlite-annotation-store.js';
export { createSqliteJobStore } from './sqlite-job-store.js';
export { createSqliteMetricStore } from './sqlite-metric-store.js';
export { createExecaTrainingExecutor } from './execa-training-executor.js';
export type { NodeJobOptions } from './create-node-platform.js';
export { renderChartPng, renderTrainingCharts, loadChartFonts, type ChartFonts, type ChartPngOptions } from './echarts-png.js';
export { createSqliteModelStore } from './sqlite-model-store.js';
export { createNvidiaSmiGpuMonitor, type NvidiaSmiGpuMonitorOptions } from './nvidia-smi-gpu-monitor.js';
export { createSqliteSettingsStore } from './sqlite-settings-store.js';
export { createSystemProbe, type SystemProbe, type SystemProbeOptions, type StorageUsage, type DatabaseCheck } from './system-probe.js';
export { createSqliteResourceIndex } from './sqlite-resource-index.js';
export { createSqliteProjectStore } from './sqlite-project-store.js';
export { createSqliteUserStore } from './sqlite-user-store.js';
export { createSqliteRevocationStore } from './sqlite-revocation-store.js';
export { loadOrCreateJwtSecret, checkJwtSecret, KNOWN_DEFAULT_SECRETS } from './jwt-secret.js';
export { openAccounts, type OpenAccountsOptions } from './open-accounts.js';
export { findFfmpeg, requireFfmpeg, VIDEO_DEMUXERS, type FfmpegPrograms, type FfmpegSource, type FfmpegLookupOptions } from './ffmpeg-tools.js';
export { probeVideo, DEFAULT_VIDEO_LIMITS, type VideoInfo, type VideoLimits } from './ffmpeg-probe.js';
export { decodeVideoFrames, type RawFrame, type DecodeOptions } from './ffmpeg-decode.js';
export { createVideoEncoder, type VideoEncoder, type VideoEncoderOptions } from './ffmpeg-encoder.js';
export { processVideo, type ProcessVideoOptions, type ProcessVideoResult } from './ffmpeg-video.js';

export { createDetector, loadDetectionSpec, type Detector, type DetectorOptions } from './create-detector.js';
export { createDetectorCache, type DetectorCache, type DetectorCacheOptions, type DetectorSource } from './create-detector-cache.js';
export { createOnnxInferenceEngine, type OnnxInferenceEngineOptions } from './onnx-inference-engine.js';
export { createOnnxOutputProbe, sharedOnnxOutputProbe, type OnnxOutputProbeOptions } from './onnx-output-probe.js';
export { cpuBudget } from './cpu-budget.js';
export { drawDetections, type DrawDetectionsOptions } from './sharp-draw-detections.js';
export { drawDetectionsRaw, type DrawOptions } from '../../inference/draw/draw-detections-raw.js';
export { openImage, letterboxImage, fillLetterboxTensor, type ImageInput, type OpenedImage, type OpenImageOptions } from './sharp-letterbox.js';
export { DETECT_IMAGE_FORMATS, type ImageProblem } from './sharp-image-errors.js';

export { createInferenceService, type InferenceService, type InferenceServiceDeps, type ImageUpload, type VideoUpload, type VideoStreamEvent } from './inference-service.js';

export {
  createOpenAiCompatibleTextGenerator, DEFAULT_UPSTREAM_LIMITS, type OpenAiCompatibleTextGenerator, type OpenAiCompatibleTextGeneratorOptions,
} from '../openai/openai-compatible-text-generator.js';
export { openAiUpstreamOptionsFromEnv, OpenAiUpstreamEnvSchema } from '../openai/openai-upstream-options.schema.js';
export { parseUpstreamEndpoint, type UpstreamEndpoint } from '../openai/upstream-endpoint.js';
export { serverKindFromModels, UPSTREAM_SERVER_KINDS, UPSTREAM_SERVER_TRAITS, type UpstreamServerKind, type UpstreamServerTraits } from '../openai/upstream-server-kind.js';
