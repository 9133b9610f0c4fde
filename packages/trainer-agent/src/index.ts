export { createTrainerAgent, type TrainerAgent, type TrainerAgentOptions } from './agent.js';
export {
  resultEvent, statusEvent, stepsEvent, stepsPath, logsEvent, logsPath, MAX_LOG_BATCH, seedFields, STATUS_TYPES, RESULT_PATH, STATUS_PATH, MAX_STEP_ROWS,
  type TrainStatus, type EpochMetrics, type NotifyEvent, type SeedFields,
} from './events.js';
export { openOutbox, outboxFiles, type Outbox, type OutboxRecord, type Settlement } from './outbox.js';
export { backoffDelay, parseRetryAfter, DEFAULT_BACKOFF, MAX_RETRY_AFTER_MS, type BackoffOptions } from './backoff.js';
export { classifyResponse, createAgentHttp, routeUrl, type AgentHttp, type AgentHttpOptions, type SendOutcome } from './http.js';
export { agentCliPath } from './cli-path.js';
export { startStepTail, type StepTail, type StepTailOptions, type StepBatch } from './step-tail.js';
export { trainerLogEntry, trainerStateRows, entryValues, parsePythonJson, type StepRow, type StepValues, type StepProgress } from './step-rows.js';
export { createTrainingWorker, type TrainingWorker, type TrainingWorkerOptions } from './worker/create-training-worker.js';
export { runWorkerCli, type WorkerCliIo } from './worker/worker-cli.js';
export { parseWorkerArgs, parseLabels, WORKER_USAGE, type WorkerArgs } from './worker/worker-args.js';
export { createLogShipper, type LogShipper, type LogShipperOptions } from './log-shipper.js';
export { startCheckpointUploads, type CheckpointUploads, type CheckpointUploadOptions } from './checkpoints.js';
export { startRunFileUploads, type RunFileUploads, type RunFileUploadOptions } from './run-files.js';
