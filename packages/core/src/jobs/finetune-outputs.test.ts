import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createFsBlobStore } from '../adapters/fs/fs-blob-store.js';
import { collectFinetuneOutputs } from './finetune-outputs.js';

let dir: string;
let blobs: ReturnType<typeof createFsBlobStore>;
const RUN = 'jobs/job_1/train';
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'yoloops-outputs-'));
  blobs = createFsBlobStore(dir);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const put = (name: string, body: unknown) => blobs.write(`${RUN}/${name}`, typeof body === 'string' ? body : JSON.stringify(body));
const at = (name: string) => path.join(dir, RUN, name);

describe('collectFinetuneOutputs', () => {
  test('the final adapter, GGUF exports and all_results.json metrics (perplexity = exp(eval_loss))', async () => {
    await put('adapter_config.json', {});
    await put('adapter_model.safetensors', 'xxxx');
    await put('checkpoint-10/adapter_model.safetensors', 'old');
    await put('checkpoint-10/adapter_config.json', {});
    await put('export/merged-q4_k_m.gguf', 'GGUF....');
    await put('all_results.json', '{"epoch": 3, "train_loss": 1.5, "eval_loss": 2, "train_runtime": 12.5, "eval_accuracy": NaN}');
    await put('trainer_state.json', { global_step: 30, log_history: [{ loss: 9, step: 30 }] });
    expect(await collectFinetuneOutputs(blobs, RUN)).toStrictEqual({
      adapter: { dir: path.join(dir, RUN), files: [{ path: at('adapter_config.json'), size: 2 }, { path: at('adapter_model.safetensors'), size: 4 }] },
      full_model: null,
      gguf_files: [{ path: at('export/merged-q4_k_m.gguf'), size: 8 }],
      metrics: { train_loss: 1.5, eval_loss: 2, epoch: 3, train_runtime: 12.5, global_step: 30, perplexity: Math.exp(2) },
      metrics_source: 'all_results.json',
    });
  });

  test('without all_results.json: trainer_state.json log_history (the closing train_loss beats the last step loss), adapter of the newest checkpoint', async () => {
    for (const step of [5, 20, 10]) {
      await put(`checkpoint-${step}/adapter_config.json`, {});
      await put(`checkpoint-${step}/adapter_model.bin`, 'b');
    }
    await put('trainer_state.json', { global_step: 20, log_history: [{ loss: 2, step: 10 }, { eval_loss: 1.8, step: 10 }, { loss: 1.4, step: 20 }, { train_loss: 1.7, step: 20 }] });
    const outputs = await collectFinetuneOutputs(blobs, RUN);
    expect(outputs.adapter?.dir).toBe(at('checkpoint-20'));
    expect(outputs.metrics).toStrictEqual({ train_loss: 1.7, eval_loss: 1.8, global_step: 20, perplexity: Math.exp(1.8) });
    expect(outputs.metrics_source).toBe('trainer_state.json');
  });

  test('only trainer_log.jsonl (torn and foreign lines skipped); a full fine-tune; an empty folder', async () => {
    await put('trainer_log.jsonl', '{"current_steps": 5, "loss": 2.2, "epoch": 0.5}\nnot json\n{"current_steps": 10, "loss": 1.1, "eval_loss": 1.3, "epoch": 1}\n{"current_st');
    await put('config.json', {});
    await put('model-00001-of-00002.safetensors', 'a');
    await put('model-00002-of-00002.safetensors', 'b');
    const outputs = await collectFinetuneOutputs(blobs, RUN);
    expect(outputs).toMatchObject({ adapter: null, gguf_files: [], metrics_source: 'trainer_log.jsonl', metrics: { train_loss: 1.1, eval_loss: 1.3, epoch: 1, global_step: 10 } });
    expect(outputs.full_model?.files.map((f) => path.basename(f.path))).toEqual(['config.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    expect(await collectFinetuneOutputs(blobs, 'jobs/none/train')).toStrictEqual({ adapter: null, full_model: null, gguf_files: [], metrics: {}, metrics_source: 'none' });
  });
});
