import { checkInt, checkNumber, say, valueOr } from './field-rules.js';
import { has, isBlank, isDict, type JsonObject } from './python-checks.js';
import { NOT_AN_OBJECT, SEED003_INVALID, throwIfInvalid } from './seed003-request-error.js';

export type Quantization = 'int8' | 'int4' | null;

export interface TrainConfig {
  /** (0, 1] (default 3e-5). */
  learning_rate: number;
  /** > 0 (default 8). */
  batch_size: number;
  /** > 0 (default 3). */
  num_epochs: number;
  /** A relative path without `..` (default `./models/checkpoints`); the service places it under the run's own directory. */
  output_dir: string;
  /** `int8`, `int4` or null (default null: no quantization). */
  quantization: Quantization;
}

export interface LoraConfig {
  /** > 0 (default 8). */
  r: number;
  /** > 0 (default 16). */
  lora_alpha: number;
  /** [0, 1] (default 0.05). */
  lora_dropout: number;
}

export interface TrainRequest {
  /** As sent: the service resolves it to a processed dataset it knows (never opened as a path as is). */
  dataset_path: string;
  config: TrainConfig;
  lora_config: LoraConfig;
}

/** Seed 003's documented defaults (docs/api.md) for what a request leaves out. */
export const TRAIN_DEFAULTS: { config: TrainConfig; lora_config: LoraConfig } = {
  config: { learning_rate: 3e-5, batch_size: 8, num_epochs: 3, output_dir: './models/checkpoints', quantization: null },
  lora_config: { r: 8, lora_alpha: 16, lora_dropout: 0.05 },
};

const QUANTIZATIONS = new Set<unknown>(['int8', 'int4', null]);
// Absolute (POSIX, UNC or drive letter), a `..` segment, or a control character.
const UNSAFE_DIR = /^[/\\]|^[A-Za-z]:|(^|[/\\])\.\.([/\\]|$)|[\u0000-\u001f\u007f]/; // eslint-disable-line no-control-regex
const MAX_PATH_CHARS = 1024;

/** Our rules for the fields the origin documented but never checked (`dataset_path`'s type, `output_dir`, `quantization`). */
function configExtras(config: JsonObject, errors: string[]): void {
  if (has(config, 'output_dir')) {
    const dir = config.output_dir;
    if (typeof dir !== 'string') errors.push(say.notString('output_dir'));
    else if (isBlank(dir)) errors.push(say.empty('output_dir'));
    else if (UNSAFE_DIR.test(dir) || dir.length > MAX_PATH_CHARS) errors.push(`'output_dir' 必须是一个相对路径，不能包含 '..' 或控制字符，最多 ${MAX_PATH_CHARS} 个字符`);
  }
  if (has(config, 'quantization') && !QUANTIZATIONS.has(config.quantization)) errors.push("'quantization' 必须是 'int8'、'int4' 或 null");
}

function configErrors(data: JsonObject, errors: string[]): void {
  if (!has(data, 'config')) return;
  const config = data.config;
  if (!isDict(config)) {
    errors.push(say.notObject('config'));
    return;
  }
  checkNumber(config, 'learning_rate', (n) => n > 0 && n <= 1, say.between('learning_rate', 0, 1), errors);
  checkInt(config, 'batch_size', (n) => n > 0, say.positive('batch_size'), errors);
  checkInt(config, 'num_epochs', (n) => n > 0, say.positive('num_epochs'), errors);
  configExtras(config, errors);
}

function loraErrors(data: JsonObject, errors: string[]): void {
  if (!has(data, 'lora_config')) return;
  const lora = data.lora_config;
  if (!isDict(lora)) {
    errors.push(say.notObject('lora_config'));
    return;
  }
  checkInt(lora, 'r', (n) => n > 0, say.positive('r'), errors);
  checkInt(lora, 'lora_alpha', (n) => n > 0, say.positive('lora_alpha'), errors);
  checkNumber(lora, 'lora_dropout', (n) => n >= 0 && n <= 1, say.between('lora_dropout', 0, 1), errors);
}

/** The origin's `validate_training_config` (plus the type of `dataset_path`, `output_dir` and `quantization`), in its order. */
export function trainRequestErrors(body: unknown): string[] {
  if (!isDict(body)) return [NOT_AN_OBJECT];
  const errors: string[] = [];
  const path = body.dataset_path;
  if (!has(body, 'dataset_path')) errors.push(say.missing('dataset_path'));
  else if (typeof path !== 'string') errors.push(say.notString('dataset_path'));
  else if (isBlank(path)) errors.push(say.empty('dataset_path'));
  configErrors(body, errors);
  loraErrors(body, errors);
  return errors;
}

/**
 * Seed 003's `POST /train` body, checked as the origin does, with the documented defaults applied.
 * @throws Seed003RequestError 400 "Invalid training configuration" listing every problem.
 * @example
 * const { dataset_path, config, lora_config } = validateTrainRequest(seed003JsonBody(req));
 */
export function validateTrainRequest(body: unknown): TrainRequest {
  throwIfInvalid(SEED003_INVALID.train, trainRequestErrors(body));
  const data = body as JsonObject;
  const config = (data.config ?? {}) as JsonObject;
  const lora = (data.lora_config ?? {}) as JsonObject;
  const defaults = TRAIN_DEFAULTS;
  return {
    dataset_path: data.dataset_path as string,
    config: {
      learning_rate: valueOr(config, 'learning_rate', defaults.config.learning_rate),
      batch_size: valueOr(config, 'batch_size', defaults.config.batch_size),
      num_epochs: valueOr(config, 'num_epochs', defaults.config.num_epochs),
      output_dir: valueOr(config, 'output_dir', defaults.config.output_dir),
      quantization: valueOr<Quantization>(config, 'quantization', defaults.config.quantization),
    },
    lora_config: {
      r: valueOr(lora, 'r', defaults.lora_config.r),
      lora_alpha: valueOr(lora, 'lora_alpha', defaults.lora_config.lora_alpha),
      lora_dropout: valueOr(lora, 'lora_dropout', defaults.lora_config.lora_dropout),
    },
  };
}
