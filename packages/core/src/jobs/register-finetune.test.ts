import * as fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { writeTinyGguf } from '../../test/support/tiny-gguf.js';
import { createMemoryJobStore } from '../adapters/memory/memory-job-store.js';
import { createMemoryModelStore } from '../adapters/memory/memory-model-store.js';
import { createFsBlobStore } from '../adapters/fs/fs-blob-store.js';
import { createModelService } from '../models/model-service.js';
import { systemClock } from '../platform/clock.port.js';
import { createCompletionHook } from './finetune-completion.js';
import type { Job } from './job.schema.js';
import { createFinetuneRegistration } from './register-finetune.js';

let dir: string;
let gguf: { model: string; lora: string };
beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'yoloops-register-finetune-'));
  gguf = await writeTinyGguf(dir);
});
afterAll(() => fsp.rm(dir, { recursive: true, force: true }));

let world: Awaited<ReturnType<typeof setup>>;
async function setup() {
  const root = await fsp.mkdtemp(path.join(dir, 'data-'));
  const blobs = createFsBlobStore(root);
  const models = createModelService({ models: createMemoryModelStore(), blobs, clock: systemClock });
  const jobs = createMemoryJobStore();
  const job = (id: string, extra: Partial<Job> = {}): Job => ({
    job_id: id, kind: 'llm-finetune', dataset_id: 'ids_1', version: '', model_name: 'tiny-lora', base_model_id: null, original_model_path: 'org/tiny',
    epochs: 3, imgsz: 0, batch: 8, status: 'completed', created_at: '2024-01-15T12:00:00.000Z', log_file: '', run_dir: path.join(root, 'jobs', id, 'train'),
    attempt: 1, command: [],
    llm: {
      base_model: 'tiny', model_name_or_path: 'org/tiny', template: 'llama3', finetuning_type: 'lora', quantization_bit: null, lora_rank: 4, lora_alpha: 8,
      lora_dropout: 0.05, lora_target: 'all', learning_rate: 3e-5, per_device_train_batch_size: 8, gradient_accumulation_steps: 1, num_train_epochs: 3,
      cutoff_len: 512, logging_steps: 1, save_steps: 10, dataset_dir: '/d', dataset: ['ids_1_train'],
    },
    ...extra,
  });
  /** A completed run folder: the adapter, all_results.json and, when asked, a GGUF export. */
  const run = async (id: string, options: { gguf?: string } = {}) => {
    const key = `jobs/${id}/train`;
    await blobs.write(`${key}/adapter_config.json`, JSON.stringify({ peft_type: 'LORA', r: 4 }));
    await blobs.write(`${key}/adapter_model.safetensors`, 'safetensors bytes');
    await blobs.write(`${key}/all_results.json`, JSON.stringify({ train_loss: 1.5, eval_loss: 1.25, epoch: 3 }));
    if (options.gguf) await blobs.write(`${key}/gguf/tiny-lora.gguf`, await fsp.readFile(options.gguf));
    await jobs.create(job(id));
  };
  return { root, blobs, models, jobs, job, run };
}
beforeEach(async () => {
  world = await setup();
});

/** What the job service does on completion: the completion patch stored with the move, then the hook after it. */
const hookWith = (ggufBase?: string) => {
  const hook = createCompletionHook({
    jobs: world.jobs, blobs: world.blobs,
    onCompleted: createFinetuneRegistration({
      registerLanguageModel: (input) => world.models.registerLanguageModel(input),
      attachModel: (jobId, modelId) => world.jobs.update(jobId, { model_id: modelId }),
      ggufBaseOf: (id) => (id === 'tiny' ? ggufBase : undefined),
    }),
  });
  return async (job: Job) => hook.after(await world.jobs.update(job.job_id, await hook.patch(job)));
};
const completed = async (id: string) => (await world.jobs.get(id))!;

describe('registering a completed fine-tune (registerLanguageModel)', () => {
  test('a LoRA run becomes a text-generation model with its training config and metrics (val_loss, perplexity), linked to the job', async () => {
    await world.run('job_a');
    await hookWith()(await completed('job_a'));
    const job = await completed('job_a');
    expect(job.completion_error).toBeUndefined();
    const model = await world.models.get(job.model_id!);
    expect(model).toMatchObject({
      task: 'text-generation', source: 'trained', job_id: 'job_a', dataset_id: 'ids_1', base_model: 'org/tiny', name: 'tiny-lora',
      metrics: { train_loss: 1.5, eval_loss: 1.25, val_loss: 1.25, perplexity: Math.exp(1.25), epoch: 3 },
      training_config: { finetuning_type: 'lora', lora_r: 4, lora_alpha: 8, learning_rate: 3e-5, batch_size: 8, num_epochs: 3 },
    });
    expect(model.weights.map((w) => [w.file, w.format])).toEqual([['adapter_config.json', 'data'], ['adapter_model.safetensors', 'data']]);
    await hookWith()(await completed('job_a'));
    expect((await world.models.list()).length).toBe(1);
  });

  test('a GGUF LoRA export is registered on the base\'s registered GGUF model (catalog gguf_model_id)', async () => {
    const base = await world.models.registerLanguageModel({ files: [{ path: gguf.model }], name: 'tiny base' });
    await world.run('job_g', { gguf: gguf.lora });
    await hookWith(base.model_id)(await completed('job_g'));
    const job = await completed('job_g');
    expect(job.completion_error).toBeUndefined();
    const model = await world.models.get(job.model_id!);
    expect(model).toMatchObject({ base_model_id: base.model_id, llm_info: { kind: 'adapter' } });
    expect(model.weights.map((w) => w.format)).toEqual(['data', 'data', 'gguf']);
  });

  test('without a known GGUF base the adapter is registered without the GGUF and completion_error says what to set', async () => {
    await world.run('job_n', { gguf: gguf.lora });
    await hookWith()(await completed('job_n'));
    const job = await completed('job_n');
    expect(job.status).toBe('completed');
    expect(job.completion_error).toMatch(/without the run's GGUF LoRA .*set gguf_model_id in the base-model catalog/);
    expect((await world.models.get(job.model_id!)).weights.map((w) => w.file)).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
  });

  test('a run that left nothing, or a garbage GGUF, keeps the job completed with a completion_error and registers nothing', async () => {
    await world.jobs.create(world.job('job_empty'));
    await hookWith()(await completed('job_empty'));
    expect((await completed('job_empty')).completion_error).toMatch(/left no adapter, model or GGUF file/);
    await world.run('job_bad');
    await world.blobs.write('jobs/job_bad/train/model.gguf', 'GGUF but not really');
    await hookWith('model_x')(await completed('job_bad'));
    expect(await completed('job_bad')).toMatchObject({ status: 'completed', completion_error: expect.stringMatching(/model\.gguf/) });
    expect((await completed('job_bad')).model_id).toBeUndefined();
    expect((await world.models.list()).length).toBe(0);
  });
});
