export {
  CoreError, ValidationError, NotFoundError, InvalidStateError, TooLargeError, UnsupportedError, isCoreError,
  type CoreErrorCode, type CoreErrorOptions,
} from './errors.js';
export { systemClock, type Clock } from './platform/clock.port.js';
export { createId, RESOURCE_ID_PATTERN } from './platform/ids.js';
export type { BlobStore, BlobReader, BlobStat, WriteOptions } from './storage/blob-store.port.js';
export { zipBlobFolder } from './storage/zip-blob-folder.js';
export { parseBlobKey } from './storage/blob-key.js';

export {
  DatasetSchema, DatasetStatusSchema, DatasetLayoutSchema, SplitNameSchema, SplitRatioSchema, ValidationIssueSchema, ValidationReportSchema,
  type Dataset, type DatasetStatus, type DatasetLayout, type DatasetImage, type SplitName, type SplitRatio, type ValidationIssue, type ValidationReport,
} from './datasets/dataset.schema.js';
export type { DatasetStore } from './datasets/dataset-store.port.js';
export type { ImageProbe, ImageInfo } from './datasets/image-probe.port.js';
export { createDatasetService, type DatasetService, type DatasetServiceDeps, type PreparedDataset } from './datasets/dataset-service.js';
export { DEFAULT_DATASET_LIMITS, type DatasetLimits } from './datasets/dataset-limits.js';
export type { PrepareRequest } from './datasets/prepare-dataset.js';
export { detectLayout, type DetectedLayout, type LayoutImage } from './datasets/detect-layout.js';
export { renderDataYaml, type DataYamlOptions } from './datasets/data-yaml.js';
export { parseYamlClassNames, parseClassesTxt } from './datasets/dataset-classes.js';
export { assignSplits, validateSplitRatio } from './datasets/split/seeded-split.js';
export { openSafeZip, type SafeZip, type ZipEntryInfo } from './datasets/zip/open-safe-zip.js';
export { checkEntryName } from './datasets/zip/check-entry-name.js';
export { DEFAULT_ZIP_LIMITS, resolveZipLimits, type ZipLimits } from './datasets/zip/zip-limits.js';

export { parseYoloLabels, serializeYoloLabels, type YoloRow, type LabelIssue, type ParsedYoloLabels } from './labels/yolo-labels.js';
export { yoloToPixelBox, pixelBoxToYolo } from './labels/box-convert.js';
export { formatFixed } from './labels/format-fixed.js';

export {
  AnnotationTaskSchema, PixelBoxSchema, TaskItemSchema,
  type AnnotationTask, type PixelBox, type TaskItem, type ImageAnnotation, type StoredTaskItem,
} from './annotations/annotation.schema.js';
export type { AnnotationStore } from './annotations/annotation-store.port.js';
export { createAnnotationService, type AnnotationService, type AnnotationServiceDeps } from './annotations/annotation-service.js';

export { parseResultsCsv, type ParsedResultsCsv, type ResultsCsvRow } from './metrics/results-csv.js';

export {
  JobSchema, JobStatusSchema, CreateJobRequestSchema, TrainerCommandSchema, ArgvTemplateSchema, JobConfigSchema, jobConfig,
  type Job, type JobStatus, type JobPatch, type CreateJobRequest, type TrainerCommand, type JobConfig,
} from './jobs/job.schema.js';
export { TRANSITIONS, assertTransition, canTransition, isTerminal, RESUMABLE } from './jobs/job-state.js';
export type { JobStore, JobPatchInput } from './jobs/job-store.port.js';
export type { MetricStore, EpochMeta, EpochRecord, EpochMetricValues, StepRecord } from './jobs/metric-store.port.js';
export { normalizeEpochMetrics, normalizeStepMetrics, EPOCH_LIMITS, STEP_LIMITS } from './jobs/epoch-metrics.js';
export type { TrainingExecutor, TrainingSpec, TrainingExit, TrainingExitListener, StopOptions } from './jobs/training-executor.port.js';
export {
  JobKindSchema, FinetuningTypeSchema, LlmFinetuneSchema, JobProgressSchema, CreateFinetuneJobRequestSchema,
  type JobKind, type FinetuningType, type LlmFinetune, type JobProgress, type CreateFinetuneJobRequest,
} from './jobs/finetune.schema.js';
export { FinetuneOutputsSchema, FinetuneMetricsSchema, WeightsFolderSchema, type FinetuneOutputs, type FinetuneMetrics } from './jobs/finetune-outputs.schema.js';
export { collectFinetuneOutputs } from './jobs/finetune-outputs.js';
export { parseBaseModelCatalog, BaseLanguageModelSchema, type BaseModelCatalog, type BaseLanguageModel } from './jobs/base-model-catalog.js';
export { toLlamaFactoryConfig, renderLlamaFactoryYaml, FINETUNE_CONFIG_NAME, type LlamaFactoryConfigOptions } from './jobs/llamafactory-config.js';
export { planFinetuneJob, resolveFinetuneDataset, newestCheckpoint, type FinetunePlanDeps } from './jobs/finetune-requests.js';
export { createCompletionHook, writeFinetuneConfig, type OnJobCompleted, type CompletionHook } from './jobs/finetune-completion.js';
export { MAX_STEPS_PER_REPORT, latestStepMetrics, type StepReport, type StepReportRow } from './jobs/step-reports.js';
export { createFinetuneRegistration, type FinetuneRegistrationDeps } from './jobs/register-finetune.js';
export {
  DEFAULT_TRAINER_COMMAND, DEFAULT_FINETUNE_COMMAND, DEFAULT_AGENT_COMMAND, PLACEHOLDERS, renderArgv, buildAttemptArgv, checkArgvTemplate, describeMissingProgram, type Placeholder,
} from './jobs/trainer-command.js';
export { jobKeys, RUN_NAME, type LocalBlobStore } from './jobs/job-paths.js';
export { RESUMED_FROM_START, type ResolveModelWeights, type BaseModelWeights } from './jobs/job-requests.js';
export { describeExit } from './jobs/job-runner.js';
export { createJobService, type JobService, type JobServiceDeps } from './jobs/job-service.js';
export {
  BASE_DETECTORS, HYPERPARAMETER_NAMES, trainingTemplates, type BaseDetector, type HyperparameterName, type TemplateParam, type TrainingTemplate,
} from './jobs/training-catalog.js';
export { createJobNotify, NOTIFY_STATUS_TYPES, type JobNotify, type JobNotifyDeps, type StatusReportResult } from './jobs/job-notify.js';
export { cleanLogLine, lastLinesOffset, readLastLogLines, readLogChunk, LOG_CHUNK_LINES, LOG_LINES_CAP, type LogChunk } from './jobs/job-logs.js';
export type { LogBus, LogBusListener, LogBusMessage } from './jobs/log-bus.port.js';
export { createMemoryLogBus } from './adapters/memory/memory-log-bus.js';
export {
  createAgentUploads, cleanShippedLines, MAX_SHIPPED_LINES, MAX_SHIPPED_LINE_CHARS, DEFAULT_MAX_CHECKPOINT_BYTES,
  type AgentUploads, type AgentUploadDeps, type ShippedLogBatch, type ShippedLogResult, type CheckpointResult,
  DEFAULT_MAX_RUN_FILE_BYTES, RUN_FILES_DIR, type RunFilesResult, type RunFileSink,
} from './jobs/agent-uploads.js';

export {
  canonicalMetricName, canonicalizeMetrics, compareMetricKeys, metricInfo, normalizeMetricValue, percentToFraction, slugifyMetricName, KNOWN_METRIC_KEYS,
  type MetricInfo, type MetricKind, type MetricLabels,
} from './metrics/metric-names.js';
export { lttb, lttbIndices, type MaybeNumber } from './metrics/lttb.js';
export { epochLoss, lossSeries, type EpochLoss, type LossPoint, type LossRun, type LossSeries, type LossSummary } from './metrics/loss-series.js';
export { finetuneProgress } from './jobs/finetune-progress.js';
export { finetuneHyperparametersSchema, finetuneRequestOf, finetuneTemplateOf, finetuneTemplates, type FinetuneTemplate } from './jobs/finetune-templates.js';
export { sortByEpoch, type EpochMetrics } from './metrics/metric-series.js';
export {
  toEChartsOption, DEFAULT_CHART_TITLE,
  type ChartLocale, type EChartsOptionOptions, type EChartsLineSeries, type EChartsValueAxis, type MetricsChartOption,
} from './metrics/to-echarts-option.js';
export { toTrainingHistory, toTrainingMetrics, type TrainingHistory, type TrainingMetrics, type FinalMetrics } from './metrics/training-history.js';
export {
  toSeed000MetricsData, toSeed000ChartConfig, SEED000_METRICS, type Seed000MetricsData, type Seed000ChartConfig, type EpochRange,
} from './metrics/seed000-metrics.js';
export { toTrainingChart, TRAINING_CHART_SIZES, type TrainingChart, type TrainingChartType } from './metrics/training-charts.js';

export { ModelSchema, WeightsFileSchema, type Model, type WeightsFile } from './models/model.schema.js';
export type { ModelStore } from './models/model-store.port.js';
export { createModelService, checkWeightsName, type ModelService, type ModelServiceDeps, type RegisterModelInput, type WeightsInput } from './models/model-service.js';
export type { RegisterLanguageModelInput, LanguageModelFile } from './models/register-language-model.js';
export type { ResolveTextModelOptions } from './models/resolve-text-model.js';
export { LlmInfoSchema, type LlmInfo } from './generation/llm-info.schema.js';
export type {
  TextGenerator, TextModelRef, TokenLimit, GenerationParams, GenerationOutput, GeneratedSequence, TokenUsage, UpstreamModel,
} from './generation/text-generator.port.js';
export {
  createGenerationService, type GenerationService, type GenerationServiceDeps, type GenerationResult, type GenerationModelList, type ModelLookup, type ResolvedTextModel,
} from './generation/generation-service.js';
export { readGguf, DEFAULT_GGUF_LIMITS, type GgufFile, type GgufLimits, type GgufValue } from './generation/gguf/read-gguf.js';
export type { GgufTensor } from './generation/gguf/check-tensor-data.js';
export { summarizeGguf } from './generation/gguf/summarize-gguf.js';
export { bytesRangeReader, blobRangeReader, type RangeReader } from './generation/gguf/range-reader.js';

export type {
  OnnxModelInfo, OnnxTensorInfo, OnnxElemType, DetectionModelSpec, DetectionLayout, Detection, DetectOptions, DetectionResult, LetterboxTransform,
} from './inference/inference.types.js';
export { readOnnxModelInfo } from './inference/onnx/read-onnx-model-info.js';
export { parsePythonLiteral, parseNamesLiteral, PYTHON_LITERAL_LIMITS, type PythonValue, type PythonKey } from './inference/onnx/python-literal.js';
export { describeDetectionModel, describeShapes, needsOutputProbe, probeInputShape, type DescribeDetectionModelOptions } from './inference/model-spec.js';
export { resolveDetectionModel, type ResolveDetectionModelOptions, type ResolvedDetectionModel } from './inference/resolve-detection-model.js';
export type { OutputShapeProbe, OutputProbeRequest, ProbedOutput } from './inference/output-shape-probe.port.js';
export { checkOnnxModel, externalDataFiles } from './inference/onnx/check-onnx-model.js';

export { letterbox, unletterboxBox, roundHalfEven, type LetterboxPlan, type LetterboxOptions } from './inference/letterbox.js';
export { decodeDetections } from './inference/decode-output.js';
export { nonMaxSuppression, boxIou, type NmsCandidates, type NmsOptions } from './inference/nms.js';
export { detectionColor, DETECTION_PALETTE, type Rgb } from './inference/detection-colors.js';
export type { InferenceEngine, InferenceSessionHandle, InferenceLoadOptions, RunOptions, EngineTensorInfo, EngineOutput } from './inference/inference-engine.port.js';
export { planSessions, scheduleSessions, type SessionSchedulePlan, type OpenSession } from './inference/session-scheduler.js';
export { drawDetectionsRaw, detectionLabel, type DrawOptions } from './inference/draw/draw-detections-raw.js';
export { measureText } from './inference/draw/hershey-simplex.js';
export type { RawImage } from './inference/inference.types.js';

export type { GpuDevice, GpuSnapshot, GpuMonitor } from './gpu/gpu-monitor.port.js';
export { parseNvidiaSmiCsv, NVIDIA_SMI_FIELDS } from './gpu/parse-nvidia-smi.js';
export {
  GpuMetricSchema, GpuStatusSchema, GpuHistoryPointSchema, type GpuMetric, type GpuStatus, type GpuHistoryPoint,
} from './gpu/gpu.schema.js';
export { createGpuService, summarizeGpus, type GpuService, type GpuServiceDeps } from './gpu/gpu-service.js';
export type { SettingsStore, SettingValue } from './settings/settings-store.port.js';
export {
  GpuThresholdsSchema, GpuThresholdsUpdateSchema, UserPreferencesSchema, UserPreferencesPatchSchema, DEFAULT_GPU_THRESHOLDS, DEFAULT_USER_PREFERENCES,
  type GpuThresholds, type UserPreferences, type UserPreferencesPatch,
} from './settings/settings.schema.js';
export { createSettingsService, type SettingsService } from './settings/settings-service.js';

export type { ResourceIndex, ResourceEntry, ResourceKind, EnsureResourceInput } from './catalog/resource-index.port.js';
export type { Project, ProjectStore } from './catalog/project-store.port.js';
export {
  taskStatusOfJob, taskStatusOfDataset, datasetStatusOf, trainingProgress, formatSizeWithUnit, formatSizeShort, type Seed002TaskStatus, type Seed002DatasetStatus,
} from './catalog/seed002-format.js';

export {
  UserSchema, UserRoleSchema, UsernameSchema, PasswordSchema, USERNAME_PATTERN, type User, type UserRole,
} from './accounts/user.schema.js';
export type { UserStore, StoredUser, NewUser, UserPatch } from './accounts/user-store.port.js';
export type { RevocationStore } from './accounts/revocation-store.port.js';
export { AuthError, isAuthError, type AuthErrorReason } from './accounts/auth-error.js';
export { hashPassword, verifyPassword, needsRehash, parsePasswordHash, decoyPasswordHash, DEFAULT_PASSWORD_COST, type PasswordCost } from './accounts/password-hash.js';
export { TOKEN_ISSUER, USER_AUDIENCE, AGENT_AUDIENCE, DEFAULT_TOKEN_TTL_S, AGENT_TOKEN_TTL_S } from './accounts/jwt-tokens.js';
export {
  createAccountService, toUser,
  type AccountService, type AccountServiceDeps, type CreateUserInput, type AuthenticateResult, type VerifiedCredential,
} from './accounts/account-service.js';

export {
  InstructionFileFormatSchema, InstructionRecordFormatSchema, InstructionIssueCodeSchema, InstructionIssueSchema, InstructionReportSummarySchema,
  InstructionReportSchema, SplitCountsSchema, ProcessedOutputSchema, InstructionDatasetSchema, ProcessResultSchema, ProcessingTaskStatusSchema,
  ProcessingTaskSchema,
  type InstructionFileFormat, type InstructionRecordFormat, type InstructionIssueCode, type InstructionIssue, type InstructionReportSummary,
  type InstructionReport, type SplitCounts, type ProcessedOutput, type InstructionDataset, type ProcessResult, type ProcessingTaskStatus,
  type ProcessingTask,
} from './instructions/instruction.schema.js';
export type { InstructionDatasetStore } from './instructions/instruction-dataset-store.port.js';
export type { ProcessingTaskStore } from './instructions/processing-task-store.port.js';
export {
  createInstructionDatasetService, DEFAULT_INSTRUCTION_LIMITS,
  type InstructionDatasetService, type InstructionDatasetServiceDeps, type UploadInstructionsInput,
} from './instructions/instruction-dataset-service.js';
export { PROCESS_DONE_MESSAGE, type ProcessInstructionsInput } from './instructions/process-runner.js';
export { resolveFileFormat, type InstructionLimits } from './instructions/upload-instructions.js';
export { checkRecord, detectRecordFormat } from './instructions/check-record.js';
export type { NormalizedRecord, AlpacaRecord, ConversationRecord, ConversationTurn, RecordProblem, RecordCheck } from './instructions/record-problem.js';
export { readRecords, type RawRecord, type ReadRecordsOptions } from './instructions/read-records.js';
export {
  DEFAULT_PROMPT_TEMPLATE, TEMPLATE_FIELDS, parsePromptTemplate, renderPromptTemplate, templateFields,
  type PromptTemplate, type TemplateField,
} from './instructions/prompt-template.js';
export { planInstructionSplits, resolveSplitRatios, SPLIT_NAMES, type SplitRatios, type InstructionSplitName } from './instructions/split-plan.js';
export { buildDatasetInfo, type DatasetInfoEntry } from './instructions/dataset-info.js';
export {
  WORKER_ID_PATTERN, WORKER_LABEL_KEY_PATTERN, WORKER_LABEL_VALUE_PATTERN, MAX_WORKER_LABELS, MAX_OWN_LABELS,
  WorkerIdSchema, WorkerLabelsSchema, WorkerOwnLabelsSchema, WorkerJobRefSchema, WorkerHeartbeatSchema, WorkerCancelReasonSchema,
  WorkerCancelSchema, WorkerHeartbeatAnswerSchema, WorkerClaimSchema, ClaimRefusalReasonSchema, WorkOrderSchema, WorkerExitSchema,
  WorkerExitAnswerSchema, WorkerViewSchema,
  type WorkerLabels, type WorkerJobRef, type WorkerHeartbeat, type WorkerHeartbeatInput, type WorkerCancel, type WorkerHeartbeatAnswer,
  type WorkerClaim, type ClaimRefusalReason, type WorkOrder, type WorkerExit, type WorkerExitInput, type WorkerExitAnswer,
  type WorkerRecord, type WorkerView,
} from './workers/worker.schema.js';
export {
  BASE_QUEUE, DispatchMessageSchema, queueNameFor, labelsSatisfy, queuesForWorker, dispatchJobId, redeliveryJobId, type DispatchMessage,
} from './workers/worker-queues.js';
export type { JobDispatcher, DispatchRequest } from './jobs/job-dispatcher.port.js';
export type { WorkerStore } from './workers/worker-store.port.js';
export { createWorkerDispatch, type WorkerDispatch, type WorkerDispatchDeps } from './workers/worker-dispatch.js';
export { buildWorkOrder, attemptWeightsKey, resumesFromCheckpoint, workerDownloadPaths } from './workers/work-order.js';
export { createMemoryWorkerStore } from './adapters/memory/memory-worker-store.js';
export type { ServerInstance, ServerInstanceStore } from './servers/server-instance-store.port.js';
export { createServerRegistry, ownedByLiveOther, recoverableHere, type ServerLiveness, type ServerRegistry, type ServerRegistryOptions } from './servers/server-liveness.js';
export { createMemoryServerInstanceStore } from './adapters/memory/memory-server-instance-store.js';
export { createMemoryJobDispatcher, type MemoryJobDispatcher, type PendingDispatch } from './adapters/memory/memory-job-dispatcher.js';
export { WORKER_AUDIENCE } from './accounts/jwt-tokens.js';
export { signWorkerToken, MAX_WORKER_TOKEN_DAYS } from './accounts/worker-token.js';
