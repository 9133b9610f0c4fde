import { describe, expect, test } from 'vitest';
import { parseBaseModelCatalog } from './base-model-catalog.js';
import { finetuneProgress } from './finetune-progress.js';
import { CreateFinetuneJobRequestSchema } from './finetune.schema.js';
import { finetuneHyperparametersSchema, finetuneRequestOf, finetuneTemplates } from './finetune-templates.js';

const catalog = parseBaseModelCatalog('models:\n  - { id: tiny-0.5B, model_name_or_path: org/tiny, template: qwen, parameters: 0.5B }\n');

describe('finetuneTemplates', () => {
  test('lora, qlora and full-finetune with the fine-tune request\'s own defaults and ranges', () => {
    const defaults = CreateFinetuneJobRequestSchema.parse({ dataset_dir: 'instructions/ids_1/processed/v1' });
    const [lora, qlora, full] = finetuneTemplates(catalog.resolve());
    expect([lora?.id, qlora?.id, full?.id]).toEqual(['lora', 'qlora', 'full-finetune']);
    expect(lora?.defaults).toEqual({
      learning_rate: defaults.learning_rate, epochs: defaults.num_train_epochs, batch_size: defaults.per_device_train_batch_size,
      gradient_accumulation_steps: 1, cutoff_len: 1024, logging_steps: 10, save_steps: 500, lora_rank: 8, lora_alpha: 16, lora_dropout: 0.05, lora_target: 'all',
    });
    expect(lora?.params.learning_rate).toMatchObject({ type: 'number', default: 3e-5, minimum: 0, exclusive_minimum: true, maximum: 1 });
    expect(lora?.params.lora_rank).toMatchObject({ type: 'integer', minimum: 1, maximum: 1024 });
    expect(qlora?.params.quantization_bit).toMatchObject({ type: 'integer', default: 4, enum: [4, 8] });
    expect(Object.keys(full?.params ?? {}).filter((k) => k.startsWith('lora') || k === 'quantization_bit')).toEqual([]);
    expect([lora?.min_gpu_memory, qlora?.min_gpu_memory, full?.min_gpu_memory].map((m) => m?.split(' ')[0])).toEqual(['1GB', '1GB', '9GB']);
    expect(finetuneTemplates()[0]?.min_gpu_memory).toMatch(/^2 GB per billion parameters .*14 GB for a 7B model/);
  });

  test('hyperparameters: a template\'s own names only, with the request\'s ranges; mapped onto request fields', () => {
    const [lora, qlora, full] = finetuneTemplates();
    const ok = finetuneHyperparametersSchema(lora!).parse({ learning_rate: 2e-4, epochs: 3, batch_size: 2, lora_rank: 16 });
    expect(finetuneRequestOf(lora!, ok)).toEqual({ finetuning_type: 'lora', learning_rate: 2e-4, num_train_epochs: 3, per_device_train_batch_size: 2, lora_rank: 16 });
    const unknown = finetuneHyperparametersSchema(full!).safeParse({ lora_rank: 8 });
    expect(unknown.error?.issues[0]?.message).toMatch(/^unsupported hyperparameter lora_rank: template full-finetune takes only learning_rate, epochs/);
    expect(finetuneHyperparametersSchema(lora!).safeParse({ epochs: 0 }).error?.issues[0]?.path).toEqual(['epochs']);
    expect(finetuneHyperparametersSchema(qlora!).safeParse({ quantization_bit: 3 }).success).toBe(false);
    expect(finetuneRequestOf(qlora!, finetuneHyperparametersSchema(qlora!).parse({ quantization_bit: 8 }))).toEqual({ finetuning_type: 'qlora', quantization_bit: 8 });
  });
});

describe('finetuneProgress', () => {
  const progress = (percentage: number, current: number, total: number) => ({ percentage, current_steps: current, total_steps: total, attempt: 1, updated_at: '' });
  test.each([
    { given: { status: 'completed' as const }, want: 100 },
    { given: { status: 'queued' as const }, want: 0 },
    { given: { status: 'running' as const, progress: progress(45.55, 91, 200) }, want: 45.6 },
    { given: { status: 'stopped' as const, progress: progress(Number.NaN, 50, 200) }, want: 25 },
  ])('$given.status → $want', ({ given, want }) => expect(finetuneProgress(given)).toBe(want));
});
