import { z } from 'zod';
import type { BaseLanguageModel } from './base-model-catalog.js';
import { CreateFinetuneJobRequestSchema, type CreateFinetuneJobRequest, type FinetuningType } from './finetune.schema.js';
import type { TemplateParam } from './training-catalog.js';

/** A fine-tune template's hyperparameter name → the fine-tune request field it sets (seed 002 says `epochs`, `batch_size`). */
const FIELDS = {
  learning_rate: 'learning_rate',
  epochs: 'num_train_epochs',
  batch_size: 'per_device_train_batch_size',
  gradient_accumulation_steps: 'gradient_accumulation_steps',
  cutoff_len: 'cutoff_len',
  logging_steps: 'logging_steps',
  save_steps: 'save_steps',
  lora_rank: 'lora_rank',
  lora_alpha: 'lora_alpha',
  lora_dropout: 'lora_dropout',
  lora_target: 'lora_target',
  quantization_bit: 'quantization_bit',
} as const;
type FinetuneParamName = keyof typeof FIELDS;

const COMMON: FinetuneParamName[] = ['learning_rate', 'epochs', 'batch_size', 'gradient_accumulation_steps', 'cutoff_len', 'logging_steps', 'save_steps'];
const LORA: FinetuneParamName[] = ['lora_rank', 'lora_alpha', 'lora_dropout', 'lora_target'];

const DESCRIPTIONS: Record<FinetuneParamName, string> = {
  learning_rate: 'Peak learning rate (cosine schedule)',
  epochs: 'Passes over the training split (num_train_epochs)',
  batch_size: 'Examples per device and step (per_device_train_batch_size)',
  gradient_accumulation_steps: 'Steps whose gradients are summed before an update',
  cutoff_len: 'Longest tokenized example; longer ones are cut',
  logging_steps: 'Steps between loss reports (the points of the loss curve)',
  save_steps: 'Steps between checkpoints (what a stop or resume keeps)',
  lora_rank: 'LoRA rank r',
  lora_alpha: 'LoRA alpha (scale = alpha / r)',
  lora_dropout: 'Dropout on the LoRA inputs',
  lora_target: '"all" linear layers, or comma-separated module names',
  quantization_bit: 'Bits of the frozen, quantized base (bitsandbytes): 4 or 8',
};

/** GPU memory per billion parameters of the base, LLaMA-Factory's hardware table (16-bit LoRA 16 GB for 7B, QLoRA 4-bit 6 GB, AMP full 120 GB). */
const GB_PER_BILLION: Record<FinetuningType, number> = { lora: 2, qlora: 0.5, full: 18 };

/** A language-model fine-tune that runs here (LLaMA-Factory by default), as seed 002 lists it. */
export interface FinetuneTemplate {
  id: 'lora' | 'qlora' | 'full-finetune';
  name: string;
  description: string;
  /** Starts from a base model of the base-model catalog. */
  model_type: 'llm-base';
  task: 'text-generation';
  framework: 'llama-factory';
  finetuning_type: FinetuningType;
  min_gpu_memory: string;
  /** LLaMA-Factory's estimate per billion parameters of the base (GB). */
  gpu_memory_gb_per_billion_params: number;
  params: Record<string, TemplateParam>;
  defaults: Record<string, unknown>;
}

function param(name: FinetuneParamName): TemplateParam {
  if (name === 'quantization_bit') return { type: 'integer', default: 4, enum: [4, 8], description: DESCRIPTIONS[name] };
  const field = CreateFinetuneJobRequestSchema.shape[FIELDS[name]];
  const schema = z.toJSONSchema(field, { io: 'input' }) as { type: string; default: unknown; minimum?: number; maximum?: number; exclusiveMinimum?: number };
  const minimum = schema.minimum ?? schema.exclusiveMinimum;
  return {
    type: schema.type, default: schema.default, ...(minimum === undefined ? {} : { minimum }), ...(schema.maximum === undefined ? {} : { maximum: schema.maximum }),
    ...(schema.exclusiveMinimum === undefined ? {} : { exclusive_minimum: true }), description: DESCRIPTIONS[name],
  };
}

const namesOf = (type: FinetuningType): FinetuneParamName[] => [...COMMON, ...(type === 'full' ? [] : LORA), ...(type === 'qlora' ? (['quantization_bit'] as const) : [])];

/** Billions of parameters in a catalog entry's `parameters` (`0.5B`, `7.6B`, `500M`), when it says. */
function billions(base: BaseLanguageModel | undefined): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([BM])$/i.exec(base?.parameters ?? '');
  if (!match) return undefined;
  return Number(match[1]) / (match[2]?.toUpperCase() === 'M' ? 1000 : 1);
}

function memoryText(type: FinetuningType, base: BaseLanguageModel | undefined): string {
  const per = GB_PER_BILLION[type];
  const size = billions(base);
  const rule = `${per} GB per billion parameters of the base (LLaMA-Factory's estimate: ${per * 7} GB for a 7B model), more with a long cutoff_len or large batches`;
  if (size === undefined || base === undefined) return rule;
  const gb = Math.max(1, Math.ceil(per * size));
  return `${gb}GB for ${base.id} (${base.parameters}); ${rule}`;
}

const META: Record<FinetuningType, Pick<FinetuneTemplate, 'id' | 'name' | 'description'>> = {
  lora: { id: 'lora', name: 'LoRA (低秩适配)', description: 'Trains low-rank adapters on a frozen 16-bit base model (LLaMA-Factory finetuning_type lora); the adapter is registered as a text-generation model' },
  qlora: { id: 'qlora', name: 'QLoRA (量化低秩适配)', description: 'LoRA on a 4- or 8-bit quantized base (bitsandbytes): the least GPU memory; needs a CUDA GPU' },
  full: { id: 'full-finetune', name: '全参数微调 (full fine-tune)', description: 'Trains every weight of the base model; the whole model is registered' },
};

/**
 * The fine-tune templates (`lora`, `qlora`, `full-finetune`): each parameter's type, range and default
 * come from the fine-tune request schema; `min_gpu_memory` is LLaMA-Factory's estimate for `base`
 * (the catalog's default base model) or per billion parameters.
 * @example finetuneTemplates(catalog.resolve()).map((t) => t.id) // ['lora', 'qlora', 'full-finetune']
 */
export function finetuneTemplates(base?: BaseLanguageModel): FinetuneTemplate[] {
  return (['lora', 'qlora', 'full'] as const).map((type) => {
    const params = Object.fromEntries(namesOf(type).map((name) => [name, param(name)]));
    return {
      ...META[type], model_type: 'llm-base', task: 'text-generation', framework: 'llama-factory', finetuning_type: type,
      min_gpu_memory: memoryText(type, base), gpu_memory_gb_per_billion_params: GB_PER_BILLION[type], params,
      defaults: Object.fromEntries(Object.entries(params).map(([name, p]) => [name, p.default])),
    };
  });
}

/** The template a seed 002 `template_id` names, if it is a fine-tune template. */
export const finetuneTemplateOf = (templateId: string, base?: BaseLanguageModel): FinetuneTemplate | undefined =>
  finetuneTemplates(base).find((t) => t.id === templateId);

/** The strict schema of a fine-tune template's hyperparameters: its own names only, each with the request's range. */
export function finetuneHyperparametersSchema(template: Pick<FinetuneTemplate, 'id' | 'finetuning_type'>) {
  const names = namesOf(template.finetuning_type);
  const shape = Object.fromEntries(names.map((name) => {
    if (name === 'quantization_bit') return [name, z.union([z.literal(4), z.literal(8)], { error: 'quantization_bit must be 4 or 8' }).optional()];
    const field = CreateFinetuneJobRequestSchema.shape[FIELDS[name]] as z.ZodDefault<z.ZodType>;
    return [name, field.unwrap().optional()];
  }));
  return z.strictObject(shape, {
    error: (issue) => issue.code === 'unrecognized_keys' ? `unsupported hyperparameter ${issue.keys.join(', ')}: template ${template.id} takes only ${names.join(', ')} (see GET /api/v1/training/templates)` : undefined,
  });
}

/** The fine-tune request fields of checked hyperparameters (`epochs` → num_train_epochs…) and the template's finetuning_type. */
export function finetuneRequestOf(template: Pick<FinetuneTemplate, 'finetuning_type'>, hyperparameters: Record<string, unknown>): Partial<CreateFinetuneJobRequest> {
  const out: Record<string, unknown> = { finetuning_type: template.finetuning_type };
  for (const [name, value] of Object.entries(hyperparameters)) if (value !== undefined && name in FIELDS) out[FIELDS[name as FinetuneParamName]] = value;
  return out as Partial<CreateFinetuneJobRequest>;
}
