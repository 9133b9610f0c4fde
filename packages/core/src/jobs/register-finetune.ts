import { isCoreError, ValidationError } from '../errors.js';
import type { RegisterLanguageModelInput } from '../models/register-language-model.js';
import type { OnJobCompleted } from './finetune-completion.js';
import type { Job } from './job.schema.js';

/** What registering a completed fine-tune needs: the registry's language-model registration and the job's model link. */
export interface FinetuneRegistrationDeps {
  registerLanguageModel(input: RegisterLanguageModelInput): Promise<{ model_id: string }>;
  attachModel(jobId: string, modelId: string): Promise<unknown>;
  /** The registered GGUF model a GGUF LoRA of this catalog base applies on (catalog `gguf_model_id`), if any. */
  ggufBaseOf?(baseModel: string): string | undefined;
}

/** The seed 003 `training_config` of a model trained by this job. */
function trainingConfig(job: Job): Record<string, unknown> {
  const llm = job.llm;
  if (llm === undefined) return {};
  return {
    base_model: llm.base_model, model_name_or_path: llm.model_name_or_path, template: llm.template, finetuning_type: llm.finetuning_type,
    learning_rate: llm.learning_rate, batch_size: llm.per_device_train_batch_size, num_epochs: llm.num_train_epochs,
    lora_r: llm.lora_rank, lora_alpha: llm.lora_alpha, lora_dropout: llm.lora_dropout, quantization_bit: llm.quantization_bit, cutoff_len: llm.cutoff_len,
  };
}

/** Final metrics as the registry keeps them: train_loss, eval_loss and its seed 003 name val_loss, perplexity. */
function metricsOf(job: Job): Record<string, number> {
  const m = job.outputs?.metrics ?? {};
  const values = { train_loss: m.train_loss, eval_loss: m.eval_loss, val_loss: m.eval_loss, perplexity: m.perplexity, epoch: m.epoch };
  return Object.fromEntries(Object.entries(values).filter((e): e is [string, number] => typeof e[1] === 'number'));
}

/**
 * The completion hook that registers what a fine-tune produced as a `text-generation` model (LoRA adapter
 * files, the first `*.gguf` export, or a full model's files) and links it to the job (`model_id`; a job
 * that has one keeps it). A GGUF LoRA needs its base's registered GGUF model (`gguf_model_id` in the
 * catalog); without one the adapter is registered without the GGUF and the job's `completion_error` says so.
 */
export function createFinetuneRegistration(deps: FinetuneRegistrationDeps): OnJobCompleted {
  return async (job) => {
    const outputs = job.outputs;
    if (job.kind !== 'llm-finetune' || outputs === undefined || job.model_id !== undefined) return;
    const files = [...(outputs.adapter?.files ?? []), ...(outputs.adapter ? [] : (outputs.full_model?.files ?? []))].map((f) => ({ path: f.path }));
    const gguf = outputs.gguf_files[0];
    if (files.length === 0 && gguf === undefined) {
      throw new ValidationError(`the run left no adapter, model or GGUF file in ${job.run_dir}; nothing to register`, { reason: 'no_finetune_outputs' });
    }
    const base = job.llm === undefined ? undefined : deps.ggufBaseOf?.(job.llm.base_model);
    const input: RegisterLanguageModelInput = {
      files: [...files, ...(gguf ? [{ path: gguf.path }] : [])], name: job.model_name, base_model: job.original_model_path, job_id: job.job_id,
      ...(job.dataset_id ? { dataset_id: job.dataset_id } : {}), training_config: trainingConfig(job), metrics: metricsOf(job), source: 'trained',
      ...(base === undefined ? {} : { base_model_id: base }),
    };
    try {
      await deps.attachModel(job.job_id, (await deps.registerLanguageModel(input)).model_id);
    } catch (error) {
      if (!(isCoreError(error) && error.reason === 'base_model_required' && files.length > 0)) throw error;
      const model = await deps.registerLanguageModel({ ...input, files });
      await deps.attachModel(job.job_id, model.model_id);
      throw new ValidationError(
        `registered model ${model.model_id} without the run's GGUF LoRA ${gguf?.path ?? ''}: it needs the registered GGUF model of ${job.llm?.base_model ?? 'its base'} (set gguf_model_id in the base-model catalog)`,
        { reason: 'gguf_base_unknown' },
      );
    }
  };
}
