import { checkInt, checkNumber, checkRequiredText, checkString, say, valueOr } from './field-rules.js';
import { has, isBlank, isDict, type JsonObject } from './python-checks.js';
import { NOT_AN_OBJECT, SEED003_INVALID, throwIfInvalid } from './seed003-request-error.js';

/** Sampling settings of seed 003's generate routes, with the origin's defaults applied. */
export interface GenerationSettings {
  /** Hugging Face semantics: prompt tokens + new tokens, 1..2048 (default 100). */
  max_length: number;
  /** 0..2 (default 0.7). */
  temperature: number;
  /** (0, 1] (default 0.9). */
  top_p: number;
  /** > 0 (default 50). */
  top_k: number;
  /** 1..5 (default 1). */
  num_return_sequences: number;
  /** The model to use as sent (a registered model id for us); absent: the default model. */
  model_path: string | undefined;
}

export interface GenerateRequest extends GenerationSettings {
  prompt: string;
}

export interface BatchGenerateRequest extends GenerationSettings {
  prompts: string[];
}

/** The origin's defaults for omitted sampling settings (app/api/routes.py). */
export const GENERATION_DEFAULTS = { max_length: 100, temperature: 0.7, top_p: 0.9, top_k: 50, num_return_sequences: 1 } as const;

/** Most prompts one batch request takes. */
export const MAX_BATCH_PROMPTS = 50;

/** The optional sampling fields, checked in the origin's order. */
function samplingErrors(data: JsonObject, errors: string[]): void {
  checkInt(data, 'max_length', (n) => n > 0 && n <= 2048, say.between('max_length', 1, 2048), errors);
  checkNumber(data, 'temperature', (n) => n >= 0 && n <= 2, say.between('temperature', 0, 2), errors);
  checkNumber(data, 'top_p', (n) => n > 0 && n <= 1, say.between('top_p', 0, 1), errors);
  checkInt(data, 'top_k', (n) => n > 0, say.positive('top_k'), errors);
  checkInt(data, 'num_return_sequences', (n) => n > 0 && n <= 5, say.between('num_return_sequences', 1, 5), errors);
  checkString(data, 'model_path', errors);
}

function settingsOf(data: JsonObject): GenerationSettings {
  return {
    max_length: valueOr(data, 'max_length', GENERATION_DEFAULTS.max_length),
    temperature: valueOr(data, 'temperature', GENERATION_DEFAULTS.temperature),
    top_p: valueOr(data, 'top_p', GENERATION_DEFAULTS.top_p),
    top_k: valueOr(data, 'top_k', GENERATION_DEFAULTS.top_k),
    num_return_sequences: valueOr(data, 'num_return_sequences', GENERATION_DEFAULTS.num_return_sequences),
    model_path: valueOr<string | undefined>(data, 'model_path', undefined),
  };
}

/** The origin's `validate_generation_request`: every failing rule's Chinese message, in its order. */
export function generateRequestErrors(body: unknown): string[] {
  if (!isDict(body)) return [NOT_AN_OBJECT];
  const errors: string[] = [];
  checkRequiredText(body, 'prompt', errors);
  samplingErrors(body, errors);
  return errors;
}

/**
 * Seed 003's `POST /generate` body, checked as the origin does, with its defaults applied.
 * @throws Seed003RequestError 400 "Invalid generation request" listing every problem.
 * @example
 * const { prompt, max_length } = validateGenerateRequest(seed003JsonBody(req));
 */
export function validateGenerateRequest(body: unknown): GenerateRequest {
  throwIfInvalid(SEED003_INVALID.generate, generateRequestErrors(body));
  const data = body as JsonObject;
  return { prompt: data.prompt as string, ...settingsOf(data) };
}

/** The prompts list: the first failing rule, else one message per bad item. */
function promptsErrors(data: JsonObject, errors: string[]): void {
  const prompts = data.prompts;
  if (!has(data, 'prompts')) errors.push(say.missing('prompts'));
  else if (!Array.isArray(prompts)) errors.push(say.notArray('prompts'));
  else if (prompts.length === 0) errors.push(say.empty('prompts'));
  else if (prompts.length > MAX_BATCH_PROMPTS) errors.push(`'prompts' 最多包含 ${MAX_BATCH_PROMPTS} 个提示`);
  else {
    prompts.forEach((prompt: unknown, i) => {
      if (typeof prompt !== 'string') errors.push(say.notString(`prompts[${i}]`));
      else if (isBlank(prompt)) errors.push(say.empty(`prompts[${i}]`));
    });
  }
}

/** The origin's `validate_batch_generation_request`: every failing rule's Chinese message, in its order. */
export function batchGenerateRequestErrors(body: unknown): string[] {
  if (!isDict(body)) return [NOT_AN_OBJECT];
  const errors: string[] = [];
  promptsErrors(body, errors);
  samplingErrors(body, errors);
  return errors;
}

/**
 * Seed 003's `POST /generate/batch` body (1–50 prompts, the same sampling settings for each).
 * @throws Seed003RequestError 400 "Invalid batch generation request" listing every problem.
 */
export function validateBatchGenerateRequest(body: unknown): BatchGenerateRequest {
  throwIfInvalid(SEED003_INVALID.generateBatch, batchGenerateRequestErrors(body));
  const data = body as JsonObject;
  return { prompts: [...(data.prompts as string[])], ...settingsOf(data) };
}
