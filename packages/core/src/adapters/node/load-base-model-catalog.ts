import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NotFoundError, TooLargeError } from '../../errors.js';
import { parseBaseModelCatalog, type BaseModelCatalog } from '../../jobs/base-model-catalog.js';

const MAX_CATALOG_BYTES = 1024 * 1024;
const CATALOG = path.join('catalog', 'llm-base-models.yaml');

/** The catalog shipped with @yoloops/core (`catalog/llm-base-models.yaml` of the package, found from this module upwards). */
export function defaultBaseModelCatalogPath(): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, CATALOG))) return path.join(dir, CATALOG);
    if (path.dirname(dir) === dir) throw new NotFoundError(`the base-model catalog ${CATALOG} of @yoloops/core is missing; reinstall it or set YOLOOPS_LLM_BASE_MODELS`, { reason: 'base_model_catalog_missing' });
  }
}

/**
 * Reads a base-model catalog file (YAML or JSON, ≤ 1 MB; default: the shipped one) for fine-tune jobs.
 * @example const baseModels = loadBaseModelCatalog(process.env.YOLOOPS_LLM_BASE_MODELS);
 */
export function loadBaseModelCatalog(file: string = defaultBaseModelCatalogPath()): BaseModelCatalog {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    throw new NotFoundError(`base-model catalog ${file} does not exist (YOLOOPS_LLM_BASE_MODELS)`, { reason: 'base_model_catalog_missing', details: { file } });
  }
  if (size > MAX_CATALOG_BYTES) throw new TooLargeError(`base-model catalog ${file} is ${size} bytes (at most ${MAX_CATALOG_BYTES})`, { reason: 'base_model_catalog_too_large' });
  return parseBaseModelCatalog(readFileSync(file, 'utf8'), file);
}
