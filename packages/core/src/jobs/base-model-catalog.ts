import { parse } from 'yaml';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../errors.js';

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** One base model of the catalog: what a request names, what the trainer loads, and its chat template. */
export const BaseLanguageModelSchema = z
  .object({
    id: z.string().regex(ID, 'id must be a name (letters, digits, . _ -)'),
    name: z.string().min(1).max(200).optional(),
    model_name_or_path: z.string().min(1).max(1024).describe('Hugging Face id or a local folder on the training machine.'),
    template: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'template must be a trainer template name such as qwen'),
    parameters: z.string().max(32).optional(),
    license: z.string().max(64).optional(),
    default: z.boolean().optional(),
    gguf_model_id: z.string().regex(ID).optional().describe('Registered GGUF model that a GGUF LoRA trained on this base applies on.'),
  })
  .meta({ id: 'BaseLanguageModel' });
/** A base model a fine-tune can start from. */
export type BaseLanguageModel = z.infer<typeof BaseLanguageModelSchema>;

const CatalogSchema = z.object({ models: z.array(BaseLanguageModelSchema).min(1).max(1000) });

/** The base models fine-tunes may start from (an operator-edited file), with the default entry. */
export interface BaseModelCatalog {
  readonly models: readonly BaseLanguageModel[];
  /** The entry of `id`, or the default entry when `id` is undefined; NOT_FOUND naming the known ids otherwise. */
  resolve(id?: string): BaseLanguageModel;
}

/**
 * Parses a base-model catalog (YAML or JSON: `models: [{id, model_name_or_path, template, default?…}]`);
 * the default is the entry marked `default: true`, else the first. `source` names the file in errors.
 * @example const catalog = parseBaseModelCatalog(readFileSync(file, 'utf8'), file);
 */
export function parseBaseModelCatalog(text: string, source = 'base-model catalog'): BaseModelCatalog {
  let value: unknown;
  try {
    value = parse(text, { maxAliasCount: 100 });
  } catch (error) {
    throw new ValidationError(`${source} is not valid YAML/JSON: ${(error as Error).message}`, { reason: 'invalid_base_model_catalog' });
  }
  const parsed = CatalogSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ValidationError(`${source}: ${issue?.path.join('.') || 'models'}: ${issue?.message ?? 'invalid'}`, { reason: 'invalid_base_model_catalog' });
  }
  const { models } = parsed.data;
  const ids = new Set<string>();
  for (const model of models) {
    if (ids.has(model.id)) throw new ValidationError(`${source}: base model id ${model.id} is listed twice`, { reason: 'invalid_base_model_catalog' });
    ids.add(model.id);
  }
  const defaults = models.filter((m) => m.default === true);
  if (defaults.length > 1) throw new ValidationError(`${source}: only one base model may be the default (${defaults.map((m) => m.id).join(', ')})`, { reason: 'invalid_base_model_catalog' });
  const fallback = defaults[0] ?? models[0];
  return {
    models,
    resolve(id) {
      const found = id === undefined ? fallback : models.find((m) => m.id === id);
      if (found === undefined) {
        throw new NotFoundError(`base model ${id ?? ''} is not in the base-model catalog (known: ${models.map((m) => m.id).join(', ')})`, {
          reason: 'base_model_not_found', details: { base_model: id },
        });
      }
      return found;
    },
  };
}
