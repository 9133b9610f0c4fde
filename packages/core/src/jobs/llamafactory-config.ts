import YAML from 'yaml';
import type { LlmFinetune } from './finetune.schema.js';

/** Name of the trainer configuration a fine-tune job writes into its run folder (`{config}`). */
export const FINETUNE_CONFIG_NAME = 'yoloops-train.yaml';

/** Where the run writes and what it resumes from. */
export interface LlamaFactoryConfigOptions {
  /** The run folder: adapter, checkpoints, trainer_log.jsonl. */
  outputDir: string;
  /** A `checkpoint-N` folder to resume from (`resume_from_checkpoint`). */
  resumeFrom?: string;
}

/**
 * The LLaMA-Factory `llamafactory-cli train` configuration (SFT) of a fine-tune: `qlora` is LoRA on a
 * `quantization_bit` base, `full` trains every weight (no LoRA keys), an eval dataset adds step-wise
 * evaluation at every save. `overwrite_output_dir` is on because the config itself lives in the run
 * folder (LLaMA-Factory refuses a non-empty output folder otherwise).
 * @see https://github.com/hiyouga/LLaMA-Factory/blob/main/examples/train_lora/qwen3_lora_sft.yaml
 */
export function toLlamaFactoryConfig(llm: LlmFinetune, options: LlamaFactoryConfigOptions): Record<string, unknown> {
  const lora = llm.finetuning_type !== 'full';
  const evaluation = llm.eval_dataset?.length
    ? { eval_dataset: llm.eval_dataset.join(','), per_device_eval_batch_size: llm.per_device_train_batch_size, eval_strategy: 'steps', eval_steps: llm.save_steps }
    : {};
  return {
    model_name_or_path: llm.model_name_or_path,
    stage: 'sft',
    do_train: true,
    finetuning_type: lora ? 'lora' : 'full',
    ...(lora ? { lora_rank: llm.lora_rank, lora_alpha: llm.lora_alpha, lora_dropout: llm.lora_dropout, lora_target: llm.lora_target } : {}),
    ...(lora && llm.quantization_bit !== null ? { quantization_bit: llm.quantization_bit } : {}),
    dataset: llm.dataset.join(','),
    dataset_dir: llm.dataset_dir,
    template: llm.template,
    cutoff_len: llm.cutoff_len,
    output_dir: options.outputDir,
    logging_steps: llm.logging_steps,
    save_steps: llm.save_steps,
    plot_loss: true,
    overwrite_output_dir: true,
    save_only_model: false,
    report_to: 'none',
    per_device_train_batch_size: llm.per_device_train_batch_size,
    gradient_accumulation_steps: llm.gradient_accumulation_steps,
    learning_rate: llm.learning_rate,
    num_train_epochs: llm.num_train_epochs,
    lr_scheduler_type: 'cosine',
    warmup_ratio: 0.1,
    ...evaluation,
    ...(options.resumeFrom === undefined ? {} : { resume_from_checkpoint: options.resumeFrom }),
  };
}

/**
 * The configuration as the YAML file the trainer reads. A float JavaScript writes as `1e-7` gets a
 * fraction (`1.0e-7`): PyYAML (YAML 1.1) reads an exponent without a dot as a string, not a number.
 */
export function renderLlamaFactoryYaml(config: Record<string, unknown>): string {
  const text = YAML.stringify(config).replace(/^([A-Za-z_][\w]*): (-?\d+)e([-+]?)(\d+)$/gm, (_, key: string, mantissa: string, sign: string, exp: string) =>
    `${key}: ${mantissa}.0e${sign || '+'}${exp}`);
  return `# written by yoloops for this job attempt; edits are overwritten on resume\n${text}`;
}
