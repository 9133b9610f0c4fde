import { beforeEach, describe, expect, test } from 'vitest';
import type { ProcessingTask } from '../../../src/instructions/instruction.schema.js';
import type { ProcessingTaskStore } from '../../../src/instructions/processing-task-store.port.js';

const task = (id: string, overrides: Partial<ProcessingTask> = {}): ProcessingTask => ({
  task_id: id,
  kind: 'dataset_process',
  dataset_id: 'ids_a',
  output_name: 'out',
  status: 'running',
  progress: 0,
  created_at: '2024-01-15T12:00:00.000Z',
  updated_at: '2024-01-15T12:00:00.000Z',
  owner_id: null,
  ...overrides,
});

/**
 * Behaviour every `ProcessingTaskStore` adapter must show; each test gets a fresh store from `factory`.
 * @example describeProcessingTaskStoreContract('memory', () => createMemoryProcessingTaskStore());
 */
export function describeProcessingTaskStoreContract(name: string, factory: () => Promise<ProcessingTaskStore> | ProcessingTaskStore): void {
  describe(`${name}: ProcessingTaskStore contract`, () => {
    let store: ProcessingTaskStore;
    beforeEach(async () => {
      store = await factory();
    });

    test('round-trips a completed task with its result, and answers undefined for a missing id', async () => {
      const done = task('task_1', {
        status: 'completed', progress: 100, finished_at: '2024-01-15T12:01:00.000Z', owner_id: 3,
        result: { task_id: 'task_1', status: 'completed', dataset_id: 'ids_a', output_path: '/x', splits: { train: 8, validation: 1, test: 1 }, message: '数据集处理完成', processed_at: '2024-01-15T12:01:00.000Z' },
      });
      await store.create(done);
      expect(await store.get('task_1')).toStrictEqual(done);
      expect(await store.get('task_missing')).toBeUndefined();
    });

    test('create refuses an existing id with CONFLICT', async () => {
      await store.create(task('task_1'));
      await expect(store.create(task('task_1'))).rejects.toMatchObject({ code: 'CONFLICT' });
    });

    test('lists newest first, and one dataset’s runs when asked', async () => {
      await store.create(task('task_1', { created_at: '2024-01-15T12:00:00.000Z' }));
      await store.create(task('task_2', { created_at: '2024-01-15T12:00:02.000Z', dataset_id: 'ids_b' }));
      await store.create(task('task_3', { created_at: '2024-01-15T12:00:01.000Z' }));
      expect((await store.list()).map((t) => t.task_id)).toEqual(['task_2', 'task_3', 'task_1']);
      expect((await store.list({ datasetId: 'ids_a' })).map((t) => t.task_id)).toEqual(['task_3', 'task_1']);
      expect(await store.list({ datasetId: 'ids_none' })).toEqual([]);
    });

    test('update merges a patch (an undefined key is removed) and keeps the id', async () => {
      await store.create(task('task_1', { error: 'old' }));
      const next = await store.update('task_1', { status: 'failed', progress: 50, error: undefined, task_id: 'other' } as Partial<ProcessingTask>);
      expect(next).toStrictEqual({ ...task('task_1'), status: 'failed', progress: 50 });
      expect(await store.get('task_1')).toStrictEqual(next);
      expect((await store.list())[0]!.status).toBe('failed');
    });

    test('update of a missing id is NOT_FOUND', async () => {
      await expect(store.update('task_missing', { progress: 1 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });
  });
}
