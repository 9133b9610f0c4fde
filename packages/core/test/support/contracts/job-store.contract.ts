import { beforeEach, describe, expect, test } from 'vitest';
import type { JobStore } from '../../../src/jobs/job-store.port.js';
import type { Job } from '../../../src/jobs/job.schema.js';

const job = (id: string, overrides: Partial<Job> = {}): Job => ({
  job_id: id,
  dataset_id: 'ds_1',
  version: 'v1',
  model_name: 'yolov8n.pt',
  base_model_id: null,
  original_model_path: 'yolov8n.pt',
  epochs: 10,
  imgsz: 640,
  batch: -1,
  status: 'queued',
  created_at: '2024-01-15T12:00:00.000Z',
  log_file: `/data/jobs/${id}.log`,
  run_dir: `/data/jobs/${id}/train`,
  attempt: 1,
  command: [],
  ...overrides,
});

const FULL: Job = job('job_full', {
  base_model_id: 'model_1',
  model_name: 'model_1_fine_tuned',
  original_model_path: '/data/models/model_1/best.pt',
  batch: 0.7,
  status: 'failed',
  queued_at: '2024-01-15T12:00:00.000Z',
  started_at: '2024-01-15T12:00:01.000Z',
  finished_at: '2024-01-15T12:10:00.000Z',
  failed_at: '2024-01-15T12:10:00.000Z',
  crashed: true,
  crashed_at: '2024-01-15T12:05:00.000Z',
  resumed_at: '2024-01-15T12:06:00.000Z',
  resume_count: 1,
  model_id: 'model_2',
  parent_job_id: 'job_parent',
  epoch_offset: 20,
  resumed_from: '/data/jobs/job_full/train/weights/last.pt',
  error: 'trainer exited with code 1: RuntimeError: "x"\nline 2',
  pid: 4242,
  exit_code: 1,
  attempt: 2,
  command: ['yolo', 'detect', 'train', 'resume', 'model=/a b/last.pt'],
  trainer_command: { train: ['node', 't.mjs', 'data={data}'], resume: ['node', 't.mjs', 'resume', 'model={model}'] },
  external: false,
});

const FINETUNE: Job = job('job_llm', {
  kind: 'llm-finetune', dataset_id: 'ids_1', version: '', model_name: 'Qwen2.5-0.5B-Instruct-qlora', original_model_path: 'Qwen/Qwen2.5-0.5B-Instruct',
  epochs: 3, imgsz: 0, batch: 8, status: 'completed',
  llm: {
    base_model: 'Qwen2.5-0.5B-Instruct', model_name_or_path: 'Qwen/Qwen2.5-0.5B-Instruct', template: 'qwen', finetuning_type: 'qlora', quantization_bit: 4,
    lora_rank: 8, lora_alpha: 16, lora_dropout: 0.05, lora_target: 'all', learning_rate: 3e-5, per_device_train_batch_size: 8, gradient_accumulation_steps: 1,
    num_train_epochs: 3, cutoff_len: 1024, logging_steps: 10, save_steps: 500, dataset_dir: '/data/instructions/ids_1/processed/v1',
    dataset: ['ids_1_train'], eval_dataset: ['ids_1_validation'],
  },
  progress: { percentage: 100, current_steps: 120, total_steps: 120, remaining_time: '0:00:00', attempt: 1, updated_at: '2024-01-15T12:09:00.000Z' },
  outputs: {
    adapter: { dir: '/data/jobs/job_llm/train', files: [{ path: '/data/jobs/job_llm/train/adapter_model.safetensors', size: 1024 }] },
    full_model: null, gguf_files: [], metrics: { train_loss: 1.2, eval_loss: 1.4, perplexity: Math.exp(1.4) }, metrics_source: 'all_results.json',
  },
  completion_error: 'registering failed: "x"',
});

/**
 * Behaviour every `JobStore` adapter must show; each test gets a fresh store from `factory`.
 * @example describeJobStoreContract('memory', () => createMemoryJobStore());
 */
export function describeJobStoreContract(name: string, factory: () => Promise<JobStore> | JobStore): void {
  describe(`${name}: JobStore contract`, () => {
    let store: JobStore;
    beforeEach(async () => {
      store = await factory();
    });

    test('round-trips a record with every optional field, and one with none', async () => {
      await store.create(FULL);
      await store.create(job('job_min'));
      expect(await store.get('job_full')).toStrictEqual(FULL);
      expect(await store.get('job_min')).toStrictEqual(job('job_min'));
      expect(await store.get('job_missing')).toBeUndefined();
    });

    test('round-trips an llm-finetune record (kind, llm, progress, outputs); a record without kind stays without it', async () => {
      await store.create(FINETUNE);
      await store.create(job('job_detect'));
      expect(await store.get('job_llm')).toStrictEqual(FINETUNE);
      expect(await store.get('job_detect')).not.toHaveProperty('kind');
      const patched = await store.transition('job_llm', ['completed'], 'completed', { progress: { ...FINETUNE.progress!, percentage: 50 }, outputs: undefined });
      expect(patched?.progress?.percentage).toBe(50);
      expect(patched).not.toHaveProperty('outputs');
      expect(await store.get('job_llm')).toStrictEqual(patched);
    });

    test('create rejects an existing id with CONFLICT and keeps the first record; copies are handed out', async () => {
      const input = job('job_1', { command: ['a'] });
      await store.create(input);
      await expect(store.create(job('job_1', { epochs: 99 }))).rejects.toMatchObject({ code: 'CONFLICT' });
      input.command.push('changed-after-create');
      (await store.get('job_1'))?.command.push('changed-after-get');
      expect(await store.get('job_1')).toStrictEqual(job('job_1', { command: ['a'] }));
    });

    test('of 20 concurrent creates of one id exactly one wins, the rest are CONFLICT (a first report registers one job)', async () => {
      const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => store.create(job('0123456789abcdef0123456789abcdef', { external: true, epochs: i }))));
      const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      expect(won).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'CONFLICT' });
      expect(await store.list()).toStrictEqual([job('0123456789abcdef0123456789abcdef', { external: true, epochs: won[0] })]);
    });

    test('list returns the newest first, ties by later insert first, and filters by status', async () => {
      expect(await store.list()).toEqual([]);
      await store.create(job('job_b', { created_at: '2024-01-02T00:00:00.000Z' }));
      await store.create(job('job_old', { created_at: '2023-12-31T00:00:00.000Z', status: 'completed' }));
      await store.create(job('job_a', { created_at: '2024-01-02T00:00:00.000Z', status: 'running' }));
      await store.create(job('job_new', { created_at: '2024-02-01T00:00:00.000Z' }));
      expect((await store.list()).map((j) => j.job_id)).toEqual(['job_new', 'job_a', 'job_b', 'job_old']);
      expect((await store.list({ status: ['queued', 'completed'] })).map((j) => j.job_id)).toEqual(['job_new', 'job_b', 'job_old']);
      expect(await store.list({ status: [] })).toEqual([]);
    });

    describe('update', () => {
      test('merges, removes keys set to undefined, never changes id or status, and returns the stored record', async () => {
        await store.create(FULL);
        const patch = { error: undefined, pid: 7, job_id: 'job_other', status: 'running' } as Partial<Job>;
        const updated = await store.update('job_full', patch);
        const { error: _removed, ...rest } = FULL;
        expect(updated).toStrictEqual({ ...rest, pid: 7 });
        expect(await store.get('job_full')).toStrictEqual(updated);
        expect(await store.get('job_other')).toBeUndefined();
        expect((await store.list({ status: ['failed'] })).map((j) => j.job_id)).toEqual(['job_full']);
      });

      test('rejects a missing id with NOT_FOUND', async () => {
        await expect(store.update('job_missing', { pid: 1 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
        expect(await store.list()).toEqual([]);
      });
    });

    describe('transition', () => {
      test('moves the status when it matches, applies the patch and returns the new record', async () => {
        await store.create(job('job_1'));
        const after = await store.transition('job_1', ['queued'], 'running', { started_at: 'T1', command: ['x'], queued_at: undefined });
        expect(after).toStrictEqual(job('job_1', { status: 'running', started_at: 'T1', command: ['x'] }));
        expect(await store.get('job_1')).toStrictEqual(after);
        expect((await store.list({ status: ['running'] })).map((j) => j.job_id)).toEqual(['job_1']);
      });

      test('a function patch sees the record inside the compare-and-set; to = from is a conditional patch', async () => {
        await store.create(job('job_1', { status: 'stopped', attempt: 3 }));
        const after = await store.transition('job_1', ['stopped'], 'queued', (current) => ({ attempt: current.attempt + 1 }));
        expect(after?.attempt).toBe(4);
        expect((await store.transition('job_1', ['queued'], 'queued', { pid: 9 }))?.pid).toBe(9);
        expect(await store.transition('job_1', ['running'], 'running', { pid: 10 })).toBeUndefined();
        expect(await store.get('job_1')).toMatchObject({ status: 'queued', attempt: 4, pid: 9 });
      });

      test('a function patch that throws changes nothing and its error reaches the caller (fenced moves rely on it)', async () => {
        await store.create(job('job_1', { status: 'running', attempt: 2 }));
        const refuse = () => { throw new Error('attempt changed'); };
        await expect(store.transition('job_1', ['running'], 'failed', refuse)).rejects.toThrow('attempt changed');
        expect(await store.get('job_1')).toStrictEqual(job('job_1', { status: 'running', attempt: 2 }));
      });

      test('returns undefined and changes nothing when the status, the id or the from-list does not match', async () => {
        await store.create(job('job_1'));
        expect(await store.transition('job_1', ['running', 'stopped'], 'completed', { pid: 1 })).toBeUndefined();
        expect(await store.transition('job_1', [], 'running')).toBeUndefined();
        expect(await store.transition('job_missing', ['queued'], 'running')).toBeUndefined();
        expect(await store.get('job_1')).toStrictEqual(job('job_1'));
      });

      test('lets exactly one of 50 concurrent transitions win', async () => {
        await store.create(job('job_race', { status: 'running' }));
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) => store.transition('job_race', ['running'], i % 2 ? 'stopped' : 'completed', { exit_code: i })),
        );
        const winners = results.filter((r) => r !== undefined);
        expect(winners).toHaveLength(1);
        expect(await store.get('job_race')).toStrictEqual(winners[0]);
      });
    });

    test('delete removes a record once, and only in the given statuses', async () => {
      await store.create(job('job_1', { status: 'running' }));
      await store.create(job('job_2'));
      expect(await store.delete('job_1', { ifStatus: ['completed', 'stopped'] })).toBe(false);
      expect(await store.get('job_1')).toBeDefined();
      expect(await store.delete('job_1', { ifStatus: ['running'] })).toBe(true);
      expect(await store.delete('job_1')).toBe(false);
      expect(await store.delete('job_missing')).toBe(false);
      expect((await store.list()).map((j) => j.job_id)).toEqual(['job_2']);
    });

    test('keys named __proto__ never change a prototype', async () => {
      await store.create({ ...job('job_1'), ...(JSON.parse('{"__proto__":{"admin":true}}') as Partial<Job>) });
      await store.update('job_1', JSON.parse('{"__proto__":{"admin":true},"error":"__proto__"}') as Partial<Job>);
      for (const record of [await store.get('job_1'), (await store.list())[0]]) {
        expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
        expect((record as { admin?: unknown }).admin).toBeUndefined();
        expect(record?.error).toBe('__proto__');
      }
    });
  });
}
