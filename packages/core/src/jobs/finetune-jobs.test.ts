import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { loadBaseModelCatalog } from '../adapters/node/load-base-model-catalog.js';
import { createJobWorld, readText, waitFor, waitForPid, waitForStatus } from '../../test/support/job-test-kit.js';
import { latestStepMetrics } from './step-reports.js';
import type { Job, TrainerCommand } from './job.schema.js';

const SCRIPTED_LF = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/scripted-llamafactory.mjs');
const LF_COMMAND: TrainerCommand = { train: [process.execPath, SCRIPTED_LF, 'train', '{config}'], resume: [process.execPath, SCRIPTED_LF, 'train', '{config}'] };
const DIR = 'instructions/ids_1/processed/v1';
const baseModels = loadBaseModelCatalog();

let world: Awaited<ReturnType<typeof createJobWorld>>;
beforeEach(async () => {
  world = await createJobWorld();
  const row = (i: number) => JSON.stringify({ instruction: `问题 ${i}`, input: '', output: `回答 ${i}` });
  await world.blobs.write(`${DIR}/sample_train.jsonl`, `${Array.from({ length: 32 }, (_, i) => row(i)).join('\n')}\n`);
  await world.blobs.write(`${DIR}/sample_validation.jsonl`, `${row(99)}\n`);
  await world.blobs.write(`${DIR}/dataset_info.json`, JSON.stringify({
    sample_train: { file_name: 'sample_train.jsonl', columns: { prompt: 'instruction', query: 'input', response: 'output' } },
    sample_validation: { file_name: 'sample_validation.jsonl', columns: { prompt: 'instruction', query: 'input', response: 'output' } },
  }));
});
afterEach(async () => {
  await world.cleanup();
});

const configOf = (job: Job) => YAML.parse(readFileSync(path.join(job.run_dir, 'yoloops-train.yaml'), 'utf8')) as Record<string, unknown>;
const logLines = (job: Job) => readText(path.join(job.run_dir, 'trainer_log.jsonl')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, number>);

describe('llm-finetune jobs', () => {
  test('a LoRA job with seed 003 defaults writes the LLaMA-Factory YAML, runs `train {config}`, completes and collects its outputs', async () => {
    const completed: Job[] = [];
    const jobs = world.service({ baseModels, finetuneCommand: LF_COMMAND, onCompleted: (job) => void completed.push(job), env: { SCRIPTED_LF_STEP_MS: '5', SCRIPTED_LF_GGUF: '1' } });
    const created = await jobs.createFinetune({ dataset_dir: DIR, logging_steps: 1, save_steps: 2 });
    expect(created).toMatchObject({
      kind: 'llm-finetune', status: 'queued', model_name: 'Qwen2.5-0.5B-Instruct-lora', epochs: 3, batch: 8, imgsz: 0,
      llm: { base_model: 'Qwen2.5-0.5B-Instruct', model_name_or_path: 'Qwen/Qwen2.5-0.5B-Instruct', template: 'qwen', finetuning_type: 'lora', quantization_bit: null,
        lora_rank: 8, lora_alpha: 16, lora_dropout: 0.05, learning_rate: 3e-5, per_device_train_batch_size: 8, num_train_epochs: 3,
        dataset: ['sample_train'], eval_dataset: ['sample_validation'], dataset_dir: path.join(world.dir, DIR) },
    });
    const running = await waitForPid(jobs, created.job_id);
    expect(running.command).toEqual([process.execPath, SCRIPTED_LF, 'train', path.join(created.run_dir, 'yoloops-train.yaml')]);
    // The outputs are collected before the move: a completed fine-tune always carries them; onCompleted runs after.
    const done = await waitForStatus(jobs, created.job_id, 'completed');
    expect(done.outputs?.adapter).not.toBeNull();
    await waitFor('onCompleted', () => completed.length > 0);
    expect(configOf(done)).toMatchObject({
      model_name_or_path: 'Qwen/Qwen2.5-0.5B-Instruct', stage: 'sft', do_train: true, finetuning_type: 'lora', lora_rank: 8, lora_alpha: 16, lora_dropout: 0.05,
      lora_target: 'all', dataset: 'sample_train', eval_dataset: 'sample_validation', dataset_dir: path.join(world.dir, DIR), template: 'qwen', output_dir: done.run_dir,
      learning_rate: 3e-5, per_device_train_batch_size: 8, num_train_epochs: 3, report_to: 'none', overwrite_output_dir: true,
    });
    expect(configOf(done)).not.toHaveProperty('resume_from_checkpoint');
    expect(logLines(done).map((l) => l.current_steps).filter((s, i, all) => all.indexOf(s) === i)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const evalLoss = (JSON.parse(readText(path.join(done.run_dir, 'all_results.json'))) as { eval_loss: number }).eval_loss;
    expect(done.outputs).toMatchObject({
      adapter: { dir: done.run_dir, files: [{ path: path.join(done.run_dir, 'adapter_config.json') }, { path: path.join(done.run_dir, 'adapter_model.safetensors') }] },
      full_model: null, gguf_files: [{ path: path.join(done.run_dir, 'gguf/adapter.gguf'), size: 24 }], metrics_source: 'all_results.json',
      metrics: { eval_loss: evalLoss, perplexity: Math.exp(evalLoss), global_step: 12 },
    });
    expect(done.outputs?.metrics.train_loss).toBeGreaterThan(0);
    expect(completed.map((j) => [j.job_id, j.outputs?.adapter?.files.length])).toEqual([[created.job_id, 2]]);
  });

  test('stop sends SIGINT first (the trainer saves a checkpoint), resume continues from the newest checkpoint-N', async () => {
    const jobs = world.service({ baseModels, finetuneCommand: LF_COMMAND, interruptGraceMs: 5000, env: { SCRIPTED_LF_STEP_MS: '60' } });
    const created = await jobs.createFinetune({ dataset_dir: DIR, dataset: ['sample_train'], logging_steps: 1, save_steps: 100, per_device_train_batch_size: 4 });
    await waitForPid(jobs, created.job_id);
    await waitFor('three logged steps', () => logLines(created).length >= 3);
    const stopped = await jobs.stop(created.job_id);
    expect(stopped).toMatchObject({ status: 'stopped', exit_code: 130 });
    expect(readText(path.join(created.run_dir, 'signals-seen.txt'))).toBe('SIGINT\n');
    const saved = Math.max(...logLines(created).map((l) => l.current_steps ?? 0));
    expect(existsSync(path.join(created.run_dir, `checkpoint-${saved}`, 'trainer_state.json'))).toBe(true);
    const resumed = await jobs.resume(created.job_id);
    expect(resumed).toMatchObject({ status: 'queued', attempt: 2, resumed_from: path.join(created.run_dir, `checkpoint-${saved}`) });
    await waitForPid(jobs, created.job_id);
    expect(configOf(created).resume_from_checkpoint).toBe(path.join(created.run_dir, `checkpoint-${saved}`));
    await jobs.stop(created.job_id);
  }, 30_000);

  test('a missing llamafactory-cli fails the job saying what to install', async () => {
    const jobs = world.service({ baseModels, env: { PATH: path.join(world.dir, 'no-bin') } });
    const created = await jobs.createFinetune({ dataset_dir: DIR, dataset: ['sample_train'] });
    const failed = await waitForStatus(jobs, created.job_id, 'failed');
    expect(failed.error).toMatch(/could not start "llamafactory-cli" \(ENOENT\): install LLaMA-Factory \(pip install llamafactory/);
    expect(jobs.config().finetuneCommand.train).toEqual(['llamafactory-cli', 'train', '{config}']);
  });

  test.each([
    { given: { dataset_dir: DIR, learning_rate: 0 }, want: /learning_rate/ },
    { given: { dataset_dir: DIR, num_train_epochs: 0 }, want: /num_train_epochs/ },
    { given: { dataset_dir: DIR, lora_dropout: 1.5 }, want: /lora_dropout/ },
    { given: { dataset_dir: '../etc' }, want: /dataset_dir must be a data-root key/ },
    { given: { dataset_dir: '/etc' }, want: /dataset_dir must be a data-root key/ },
    { given: { dataset_dir: DIR, finetuning_type: 'full', quantization_bit: 4 }, want: /full fine-tune cannot train a quantized model/ },
    { given: { dataset_dir: DIR, base_model: '../../models/x' }, want: /base_model must be an id/ },
  ] as const)('refuses $given with a ValidationError naming the field', async ({ given, want }) => {
    const jobs = world.service({ baseModels, finetuneCommand: LF_COMMAND });
    await expect(jobs.createFinetune(given as never)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(want) });
    expect(await jobs.list()).toEqual([]);
  });

  test('unknown base models, folders and dataset names are NOT_FOUND naming what exists; qlora means LoRA on a 4-bit base', async () => {
    const jobs = world.service({ baseModels, finetuneCommand: LF_COMMAND, concurrency: 1 });
    await expect(jobs.createFinetune({ dataset_dir: DIR, base_model: 'gpt-5' })).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/known: Qwen2\.5-0\.5B-Instruct, /) });
    await expect(jobs.createFinetune({ dataset_dir: 'instructions/none' })).rejects.toMatchObject({ code: 'NOT_FOUND', reason: 'dataset_info_missing' });
    await expect(jobs.createFinetune({ dataset_dir: DIR, dataset: ['other'] })).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/has sample_train, sample_validation/) });
    const qlora = await jobs.createFinetune({ dataset_dir: DIR, base_model: 'DeepSeek-R1-Distill-Qwen-1.5B', finetuning_type: 'qlora' });
    expect(qlora.llm).toMatchObject({ finetuning_type: 'qlora', quantization_bit: 4, template: 'deepseekr1' });
    const int8 = await jobs.createFinetune({ dataset_dir: DIR, quantization_bit: 8 });
    expect(int8.llm).toMatchObject({ finetuning_type: 'qlora', quantization_bit: 8 });
    // Dispatch mode: the labels a worker needs to take it (its queue), checked like a detector job's.
    expect((await jobs.createFinetune({ dataset_dir: DIR, worker_labels: { gpu: 'a100' } })).worker_labels).toEqual({ gpu: 'a100' });
    await expect(jobs.createFinetune({ dataset_dir: DIR, worker_labels: { 'bad key!': 'x' } })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/worker_labels/) });
    await expect(jobs.extend(qlora.job_id, 1)).rejects.toMatchObject({ code: expect.stringMatching(/UNSUPPORTED|INVALID_STATE/) });
    await expect(world.service({ finetuneCommand: LF_COMMAND }).createFinetune({ dataset_dir: DIR })).rejects.toMatchObject({ code: 'UNSUPPORTED', reason: 'no_base_model_catalog' });
  });

  test('recordSteps stores a batch idempotently and moves progress forward only (a newer attempt may restart it)', async () => {
    const jobs = world.service({ baseModels, finetuneCommand: LF_COMMAND, concurrency: 1, env: { SCRIPTED_LF_STEP_MS: '100000' } });
    const job = await jobs.createFinetune({ dataset_dir: DIR, dataset: ['sample_train'] });
    const rows = [{ step: 10, values: { loss: 2.1, lr: 3e-5, epoch: 0.5 } }, { step: 20, values: { loss: 1.9, lr: 2.8e-5, epoch: 1 } }];
    const progress = { percentage: 16.67, current_steps: 20, total_steps: 120, remaining_time: '0:01:40' };
    expect(await jobs.recordSteps(job.job_id, { rows, progress, attempt: 1 })).toEqual({ stored: 2, attempt: 1 });
    expect(await jobs.recordSteps(job.job_id, { rows, attempt: 1, progress: { ...progress, current_steps: 10, percentage: 8.33 } })).toEqual({ stored: 2, attempt: 1 });
    expect((await jobs.get(job.job_id)).progress).toMatchObject({ percentage: 16.67, current_steps: 20, total_steps: 120, attempt: 1, remaining_time: '0:01:40' });
    expect((await world.metrics.listSteps(job.job_id)).map((r) => [r.step, r.values.loss])).toEqual([[10, 2.1], [20, 1.9]]);
    await jobs.recordSteps(job.job_id, { rows: [{ step: 25, values: { eval_loss: 2.0, epoch: 1.25 } }] });
    expect(latestStepMetrics(await world.metrics.listSteps(job.job_id))).toStrictEqual({ train_loss: 1.9, learning_rate: 2.8e-5, epoch: 1.25 });
    expect(latestStepMetrics([])).toStrictEqual({});
    await expect(jobs.recordSteps(job.job_id, { rows: [{ step: 30, values: { loss: 1 } }, { step: -1, values: {} }] })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(jobs.recordSteps(job.job_id, { rows: [], progress: { ...progress, percentage: 101 } })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect((await world.metrics.listSteps(job.job_id)).map((r) => r.step)).toEqual([10, 20, 25]);
    await expect(jobs.recordSteps('job_missing', { rows })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await jobs.delete(job.job_id);
    expect(await world.metrics.listSteps(job.job_id)).toEqual([]);
  });
});
