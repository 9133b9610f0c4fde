import * as fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createFsBlobStore } from '../adapters/fs/fs-blob-store.js';
import { jobKeys, type LocalBlobStore } from '../jobs/job-paths.js';
import { RESUMED_FROM_START } from '../jobs/job-requests.js';
import type { Job, TrainerCommand } from '../jobs/job.schema.js';
import { attemptWeightsKey, buildWorkOrder, dataRootKey } from './work-order.js';
import { WorkOrderSchema } from './worker.schema.js';

const ID = 'job_20240115_120000_ab12cd34';
const DIR = 'instructions/ids_1/processed/v1';
const LF: TrainerCommand = { train: ['llamafactory-cli', 'train', '{config}'], resume: ['llamafactory-cli', 'train', '{config}', '--resume'] };
const YOLO: TrainerCommand = { train: ['yolo', 'detect', 'train', 'model={model}'], resume: ['yolo', 'detect', 'train', 'resume', 'model={model}'] };

let dir: string;
let blobs: LocalBlobStore;
beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'yoloops-work-order-'));
  blobs = createFsBlobStore(path.join(dir, 'data'));
});
afterEach(() => fsp.rm(dir, { recursive: true, force: true }));

/** A running fine-tune job of the data root (attempt 1 unless `extra` says otherwise). */
const finetune = (extra: Partial<Job> = {}): Job => ({
  job_id: ID, kind: 'llm-finetune', dataset_id: 'ids_1', version: '', model_name: 'tiny-lora', base_model_id: null, original_model_path: 'org/tiny',
  epochs: 3, imgsz: 0, batch: 8, status: 'running', created_at: '2024-01-15T12:00:00.000Z', log_file: blobs.localPath(jobKeys(ID).log),
  run_dir: blobs.localPath(jobKeys(ID).run), attempt: 1, command: [],
  llm: {
    base_model: 'tiny', model_name_or_path: 'org/tiny', template: 'llama3', finetuning_type: 'lora', quantization_bit: null, lora_rank: 4, lora_alpha: 8,
    lora_dropout: 0.05, lora_target: 'all', learning_rate: 3e-5, per_device_train_batch_size: 8, gradient_accumulation_steps: 1, num_train_epochs: 3,
    cutoff_len: 512, logging_steps: 1, save_steps: 20, dataset_dir: blobs.localPath(DIR), dataset: ['ids_1_train'], eval_dataset: ['ids_1_validation'],
  },
  ...extra,
});

/** A detector job (no `kind`, as every job stored before fine-tuning existed). */
const detector = (extra: Partial<Job> = {}): Job => ({
  job_id: ID, dataset_id: 'ds_1', version: 'v1', model_name: 'yolov8n.pt', base_model_id: null, original_model_path: 'yolov8n.pt',
  epochs: 10, imgsz: 640, batch: 16, status: 'running', created_at: '2024-01-15T12:00:00.000Z', log_file: blobs.localPath(jobKeys(ID).log),
  run_dir: blobs.localPath(jobKeys(ID).run), attempt: 1, command: [],
  ...extra,
});

const order = (job: Job, trainer = LF) => {
  const built = buildWorkOrder({ job, trainer, agentToken: 'agent-token', blobs });
  // What goes on the wire is a valid work order as it is.
  expect(WorkOrderSchema.parse(built)).toEqual(built);
  return built;
};

describe('work orders of fine-tunes', () => {
  test('a fresh attempt: the train template, no weights, the LLaMA-Factory arguments less the paths a worker sets itself', () => {
    const built = order(finetune());
    expect(built).toMatchObject({
      job_id: ID, attempt: 1, kind: 'llm-finetune', agent_token: 'agent-token', trainer: LF.train, resume: false, weights: null,
      values: { epochs: '3', imgsz: '0', batch: '8', name: 'train', job_id: ID, model: 'org/tiny' },
      dataset: { url: `/api/workers/jobs/${ID}/dataset?attempt=1`, dataset_id: 'ids_1', version: '' },
    });
    expect(built.finetune?.arguments).toMatchObject({
      model_name_or_path: 'org/tiny', stage: 'sft', do_train: true, finetuning_type: 'lora', lora_rank: 4, lora_alpha: 8, lora_target: 'all',
      dataset: 'ids_1_train', eval_dataset: 'ids_1_validation', template: 'llama3', cutoff_len: 512, save_steps: 20, learning_rate: 3e-5, num_train_epochs: 3,
    });
    for (const key of ['dataset_dir', 'output_dir', 'resume_from_checkpoint']) expect(built.finetune?.arguments).not.toHaveProperty(key);
    expect(attemptWeightsKey(finetune(), blobs)).toBeUndefined();
  });

  test('a resume from a checkpoint-N of its run: the resume template and that folder as weights, unpacked under its name', () => {
    const checkpoint = `${jobKeys(ID).run}/checkpoint-40`;
    const job = finetune({ attempt: 2, resumed_from: blobs.localPath(checkpoint) });
    expect(attemptWeightsKey(job, blobs)).toBe(checkpoint);
    const built = order(job);
    expect(built).toMatchObject({ attempt: 2, trainer: LF.resume, resume: true, weights: { file_name: 'checkpoint-40', folder: true, url: `/api/workers/jobs/${ID}/weights?attempt=2` } });
    expect(built.values).not.toHaveProperty('model');
    expect(built.finetune?.arguments).not.toHaveProperty('resume_from_checkpoint');
  });

  test('a resumed_from outside the run folder (or not a checkpoint-N) gives no weights', () => {
    for (const resumedFrom of [
      path.join(dir, 'elsewhere', 'checkpoint-40'),
      blobs.localPath('jobs/job_20240101_000000_deadbeef/train/checkpoint-40'),
      blobs.localPath(`${jobKeys(ID).run}/weights`),
      blobs.localPath(`${jobKeys(ID).dir}/checkpoint-40`),
      RESUMED_FROM_START,
    ]) {
      const job = finetune({ attempt: 2, resumed_from: resumedFrom });
      expect(attemptWeightsKey(job, blobs), resumedFrom).toBeUndefined();
      expect(order(job).weights, resumedFrom).toBeNull();
    }
  });
});

describe('work orders of detectors', () => {
  test('no finetune block; weights are files (folder false): last.pt of a resume, the copied start weights, none for a model name', () => {
    const fresh = order(detector(), YOLO);
    expect(fresh).toMatchObject({ kind: 'detect', trainer: YOLO.train, resume: false, weights: null, finetune: null, values: { model: 'yolov8n.pt', epochs: '10', imgsz: '640', batch: '16' } });

    const resumed = order(detector({ attempt: 2, resumed_from: blobs.localPath(jobKeys(ID).lastPt) }), YOLO);
    expect(resumed).toMatchObject({ trainer: YOLO.resume, resume: true, finetune: null, weights: { file_name: 'last.pt', folder: false, url: `/api/workers/jobs/${ID}/weights?attempt=2` } });

    const extended = order(detector({ kind: 'detect', original_model_path: blobs.localPath(`${jobKeys(ID).dir}/start_best.pt`) }), YOLO);
    expect(extended).toMatchObject({ kind: 'detect', resume: false, finetune: null, weights: { file_name: 'start_best.pt', folder: false, url: `/api/workers/jobs/${ID}/weights?attempt=1` } });
    expect(extended.values).not.toHaveProperty('model');
  });
});

describe('dataRootKey', () => {
  test('the key of a path inside the data root; undefined outside it, for the root itself and for a reserved name', () => {
    expect(dataRootKey(blobs, blobs.localPath(DIR))).toBe(DIR);
    expect(dataRootKey(blobs, path.join(dir, 'elsewhere', 'v1'))).toBeUndefined();
    expect(dataRootKey(blobs, path.join(dir, 'data-other', DIR))).toBeUndefined();
    expect(dataRootKey(blobs, path.join(dir, 'data'))).toBeUndefined();
    expect(dataRootKey(blobs, path.join(dir, 'data', 'instructions', '.tmp-x'))).toBeUndefined();
  });
});
