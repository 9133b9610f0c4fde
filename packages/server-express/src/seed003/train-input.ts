import type { Request } from 'express';
import { say } from './field-rules.js';
import { has, isBlank, isDict, isPyInt, type JsonObject } from './python-checks.js';
import { SEED003_INVALID, seed003JsonBody, throwIfInvalid } from './seed003-request-error.js';
import { trainRequestErrors, validateTrainRequest, type TrainRequest } from './training-request.js';

/** `POST /api/v1/train` as the service takes it: the origin's fields with their defaults, and our extensions. */
export interface TrainInput extends TrainRequest {
  /** Catalog id of the base model (`base_model`, or `config.model_name`); default: the catalog's default entry. */
  base_model?: string;
  /** `config.output_dir` exactly as sent; absent when the request left it to the default. */
  output_dir_sent?: string;
}

/** Upper bounds the job takes (the origin had none): past them a trainer would fail far later, or never start. */
const LIMITS: ReadonlyArray<[section: 'config' | 'lora_config', key: string, max: number]> = [
  ['config', 'batch_size', 4096], ['config', 'num_epochs', 1000], ['lora_config', 'r', 1024], ['lora_config', 'lora_alpha', 4096],
];

/** Our rules on top of the origin's: the base model's type and the upper bounds (only on values the origin's rules accepted). */
export function trainExtensionErrors(body: JsonObject): string[] {
  const errors: string[] = [];
  for (const [section, key, max] of LIMITS) {
    const part = body[section];
    const value = isDict(part) && has(part, key) ? part[key] : undefined;
    if (isPyInt(value) && value > max) errors.push(say.between(key, 1, max));
  }
  const config = isDict(body.config) ? body.config : {};
  for (const [where, key] of [[body, 'base_model'], [config, 'model_name']] as const) {
    if (!has(where, key)) continue;
    const value = where[key];
    if (typeof value !== 'string') errors.push(say.notString(key));
    else if (isBlank(value)) errors.push(say.empty(key));
  }
  if (has(body, 'base_model') && has(config, 'model_name') && body.base_model !== config.model_name) {
    errors.push("'base_model' 和 'model_name' 只能指定一个基础模型");
  }
  return errors;
}

/**
 * Seed 003's `POST /train` body: the 415 of a non-JSON body, then the origin's rules and ours in one
 * 400 listing every problem, then the documented defaults.
 * @example defineRoute({ method: 'post', path: '/api/v1/train', validateBody: validateTrainInput, … })
 */
export function validateTrainInput(_raw: unknown, req: Request): TrainInput {
  const body = seed003JsonBody(req);
  const origin = trainRequestErrors(body);
  throwIfInvalid(SEED003_INVALID.train, [...origin, ...(isDict(body) ? trainExtensionErrors(body) : [])]);
  const data = body as JsonObject;
  const config = isDict(data.config) ? data.config : {};
  const base = typeof data.base_model === 'string' ? data.base_model : typeof config.model_name === 'string' ? config.model_name : undefined;
  return {
    ...validateTrainRequest(body),
    ...(base === undefined ? {} : { base_model: base }),
    ...(typeof config.output_dir === 'string' ? { output_dir_sent: config.output_dir } : {}),
  };
}
