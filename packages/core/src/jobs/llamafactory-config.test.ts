import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { describe, expect, test } from 'vitest';
import { defaultBaseModelCatalogPath, loadBaseModelCatalog } from '../adapters/node/load-base-model-catalog.js';
import { parseBaseModelCatalog } from './base-model-catalog.js';
import type { LlmFinetune } from './finetune.schema.js';
import { renderLlamaFactoryYaml, toLlamaFactoryConfig } from './llamafactory-config.js';

const llm: LlmFinetune = {
  base_model: 'Qwen2.5-0.5B-Instruct', model_name_or_path: 'Qwen/Qwen2.5-0.5B-Instruct', template: 'qwen', finetuning_type: 'lora', quantization_bit: null,
  lora_rank: 8, lora_alpha: 16, lora_dropout: 0.05, lora_target: 'all', learning_rate: 3e-5, per_device_train_batch_size: 8, gradient_accumulation_steps: 2,
  num_train_epochs: 3, cutoff_len: 1024, logging_steps: 10, save_steps: 500, dataset_dir: '/d/p', dataset: ['a_train'],
};

describe('toLlamaFactoryConfig', () => {
  test.each([
    { given: { ...llm }, want: { finetuning_type: 'lora', lora_rank: 8, lora_alpha: 16, lora_dropout: 0.05, lora_target: 'all' }, absent: ['quantization_bit', 'eval_dataset'] },
    { given: { ...llm, finetuning_type: 'qlora' as const, quantization_bit: 4 as const }, want: { finetuning_type: 'lora', quantization_bit: 4, lora_rank: 8 }, absent: [] },
    { given: { ...llm, finetuning_type: 'full' as const }, want: { finetuning_type: 'full' }, absent: ['lora_rank', 'lora_alpha', 'lora_target', 'quantization_bit'] },
    { given: { ...llm, eval_dataset: ['a_val', 'b_val'] }, want: { eval_dataset: 'a_val,b_val', eval_strategy: 'steps', eval_steps: 500, per_device_eval_batch_size: 8 }, absent: [] },
  ])('$given.finetuning_type (eval $given.eval_dataset) → $want', ({ given, want, absent }) => {
    const config = toLlamaFactoryConfig(given, { outputDir: '/j/run' });
    expect(config).toMatchObject({ ...want, stage: 'sft', do_train: true, output_dir: '/j/run', dataset: 'a_train', dataset_dir: '/d/p', template: 'qwen', report_to: 'none' });
    for (const key of absent) expect(config).not.toHaveProperty(key);
  });

  test('resume adds resume_from_checkpoint; the YAML reads back the same, floats keep a fraction for PyYAML', () => {
    const config = toLlamaFactoryConfig({ ...llm, learning_rate: 1e-7 }, { outputDir: '/j/run', resumeFrom: '/j/run/checkpoint-40' });
    const text = renderLlamaFactoryYaml(config);
    expect(text).toMatch(/^learning_rate: 1\.0e-7$/m);
    expect(text).toMatch(/^lora_dropout: 0\.05$/m);
    expect(YAML.parse(text)).toStrictEqual(config);
    expect(config.resume_from_checkpoint).toBe('/j/run/checkpoint-40');
  });
});

describe('base-model catalog', () => {
  test('the shipped catalog parses; its default is Qwen2.5-0.5B-Instruct and every entry names a template', () => {
    const catalog = loadBaseModelCatalog();
    expect(catalog.resolve()).toMatchObject({ id: 'Qwen2.5-0.5B-Instruct', model_name_or_path: 'Qwen/Qwen2.5-0.5B-Instruct', template: 'qwen' });
    expect(catalog.resolve('DeepSeek-R1-Distill-Qwen-1.5B').template).toBe('deepseekr1');
    expect(catalog.resolve('Llama-3.2-1B-Instruct').template).toBe('llama3');
    expect(parseBaseModelCatalog(readFileSync(defaultBaseModelCatalogPath(), 'utf8')).models.length).toBe(catalog.models.length);
  });

  test.each([
    { given: 'models: []', want: /models/ },
    { given: 'models: [{ id: a, model_name_or_path: x, template: t }, { id: a, model_name_or_path: y, template: t }]', want: /listed twice/ },
    { given: 'models: [{ id: a, model_name_or_path: x, template: t, default: true }, { id: b, model_name_or_path: y, template: t, default: true }]', want: /only one base model may be the default/ },
    { given: 'models: [{ id: ../a, model_name_or_path: x, template: t }]', want: /models\.0\.id/ },
    { given: 'models: [{', want: /not valid YAML/ },
  ])('refuses $given', ({ given, want }) => {
    expect(() => parseBaseModelCatalog(given, 'x.yaml')).toThrow(want);
  });

  test('a missing file or an unknown id names what to do', () => {
    expect(() => loadBaseModelCatalog('/nonexistent/models.yaml')).toThrow(/does not exist \(YOLOOPS_LLM_BASE_MODELS\)/);
    expect(() => parseBaseModelCatalog('models: [{ id: a, model_name_or_path: x, template: t }]').resolve('b')).toThrow(/known: a/);
  });
});
