import { beforeEach, describe, expect, test } from 'vitest';
import type { InstructionDatasetStore } from '../../../src/instructions/instruction-dataset-store.port.js';
import type { InstructionDataset } from '../../../src/instructions/instruction.schema.js';

const dataset = (id: string, overrides: Partial<InstructionDataset> = {}): InstructionDataset => ({
  id,
  name: `name ${id}`,
  description: '',
  filename: `${id}.jsonl`,
  file_format: 'jsonl',
  record_format: 'alpaca',
  samples_count: 2,
  size_bytes: 120,
  size_mb: 0,
  sha256: 'ab'.repeat(32),
  blob_key: `instructions/${id}/source.jsonl`,
  path: `/data/instructions/${id}/source.jsonl`,
  created_at: '2024-01-15T12:00:00.000Z',
  owner_id: null,
  report: { records_total: 3, records_valid: 2, records_invalid: 1, duplicates: 0, formats: { alpaca: 2 }, issue_counts: { missing_field: 1 }, issues_truncated: 0 },
  processed: [],
  ...overrides,
});

const PROCESSED: InstructionDataset['processed'][number] = {
  output_name: 'finance_processed',
  output_path: '/data/instructions/ids_x/processed/finance_processed',
  task_id: 'task_1',
  splits: { train: 8, validation: 1, test: 1 },
  ratios: { train: 0.8, validation: 0.1, test: 0.1 },
  seed: 42,
  template: '### 指令:\n{instruction}\n\n### 回答:\n{response}',
  files: ['train.jsonl', 'validation.jsonl', 'test.jsonl', 'dataset_info.json'],
  processed_at: '2024-01-15T12:05:00.000Z',
};

/**
 * Behaviour every `InstructionDatasetStore` adapter must show; each test gets a fresh store from `factory`.
 * @example describeInstructionDatasetStoreContract('memory', () => createMemoryInstructionDatasetStore());
 */
export function describeInstructionDatasetStoreContract(name: string, factory: () => Promise<InstructionDatasetStore> | InstructionDatasetStore): void {
  describe(`${name}: InstructionDatasetStore contract`, () => {
    let store: InstructionDatasetStore;
    beforeEach(async () => {
      store = await factory();
    });

    test('round-trips a full record (unicode, owner, processed outputs) and answers undefined for a missing id', async () => {
      const full = dataset('ids_full', { name: '金融领域数据集 "q"', description: 'line 1\nline 2', owner_id: 7, processed: [PROCESSED] });
      await store.create(full);
      expect(await store.get('ids_full')).toStrictEqual(full);
      expect(await store.get('ids_missing')).toBeUndefined();
    });

    test('create refuses an existing id with CONFLICT and keeps the first record', async () => {
      await store.create(dataset('ids_a'));
      await expect(store.create(dataset('ids_a', { name: 'other' }))).rejects.toMatchObject({ code: 'CONFLICT' });
      expect((await store.get('ids_a'))?.name).toBe('name ids_a');
    });

    test('lists newest first, ties broken by id descending', async () => {
      await store.create(dataset('ids_b', { created_at: '2024-01-15T12:00:00.000Z' }));
      await store.create(dataset('ids_c', { created_at: '2024-01-16T12:00:00.000Z' }));
      await store.create(dataset('ids_a', { created_at: '2024-01-15T12:00:00.000Z' }));
      expect((await store.list()).map((d) => d.id)).toEqual(['ids_c', 'ids_b', 'ids_a']);
    });

    test('update merges a patch, never changes the id, and returns what get reads', async () => {
      await store.create(dataset('ids_a'));
      const next = await store.update('ids_a', { processed: [PROCESSED], id: 'ids_other' } as Partial<InstructionDataset>);
      expect(next.id).toBe('ids_a');
      expect(next.processed).toEqual([PROCESSED]);
      expect(await store.get('ids_a')).toStrictEqual(next);
      expect(await store.get('ids_other')).toBeUndefined();
    });

    test('update of a missing id is NOT_FOUND', async () => {
      await expect(store.update('ids_missing', { name: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    test('returned records are copies: changing one does not change the store', async () => {
      await store.create(dataset('ids_a'));
      const read = (await store.get('ids_a'))!;
      read.report.formats.alpaca = 99;
      read.processed.push(PROCESSED);
      expect((await store.get('ids_a'))!.report.formats.alpaca).toBe(2);
      expect((await store.get('ids_a'))!.processed).toEqual([]);
    });

    test('delete removes the record once', async () => {
      await store.create(dataset('ids_a'));
      expect(await store.delete('ids_a')).toBe(true);
      expect(await store.delete('ids_a')).toBe(false);
      expect(await store.get('ids_a')).toBeUndefined();
      expect(await store.list()).toEqual([]);
    });
  });
}
