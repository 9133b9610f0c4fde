/**
 * Seed 003's request validators (the origin's app/utils/validation.py, its Chinese messages and order)
 * and the error they throw, which the s003 dialect renders as its 400 envelope.
 */
export {
  NOT_AN_OBJECT,
  SEED003_INVALID,
  SEED003_MESSAGES,
  Seed003RequestError,
  seed003Json,
  seed003JsonBody,
} from './seed003-request-error.js';
export {
  batchGenerateRequestErrors,
  GENERATION_DEFAULTS,
  generateRequestErrors,
  MAX_BATCH_PROMPTS,
  validateBatchGenerateRequest,
  validateGenerateRequest,
  type BatchGenerateRequest,
  type GenerateRequest,
  type GenerationSettings,
} from './generation-request.js';
export {
  TRAIN_DEFAULTS,
  trainRequestErrors,
  validateTrainRequest,
  type LoraConfig,
  type Quantization,
  type TrainConfig,
  type TrainRequest,
} from './training-request.js';
export {
  datasetProcessErrors,
  datasetUploadErrors,
  PROCESS_DEFAULTS,
  validateDatasetProcess,
  validateDatasetUpload,
  type DatasetProcessRequest,
  type DatasetUploadParts,
  type DatasetUploadRequest,
  type InstructionFileFormat,
} from './dataset-requests.js';
export {
  SEED003_UPLOAD_FIELDS,
  Seed003BatchGenerateRequestSchema,
  Seed003DatasetProcessRequestSchema,
  Seed003GenerateRequestSchema,
  Seed003TrainRequestSchema,
} from './request-schemas.js';
