import { CoreError, NotFoundError } from '../../errors.js';
import type { ProcessingTask } from '../../instructions/instruction.schema.js';
import type { ProcessingTaskStore } from '../../instructions/processing-task-store.port.js';
import { storedCopy as clone } from '../../platform/safe-json.js';

const byNewest = (a: ProcessingTask, b: ProcessingTask) =>
  a.created_at === b.created_at ? (a.task_id < b.task_id ? 1 : -1) : a.created_at < b.created_at ? 1 : -1;

/**
 * `ProcessingTaskStore` on a map; tasks go in and out as copies.
 * @example const tasks = createMemoryProcessingTaskStore();
 */
export function createMemoryProcessingTaskStore(): ProcessingTaskStore {
  const tasks = new Map<string, ProcessingTask>();
  return {
    async create(task) {
      if (tasks.has(task.task_id)) throw new CoreError('CONFLICT', `task ${task.task_id} already exists`, { details: { task_id: task.task_id } });
      tasks.set(task.task_id, clone(task));
    },
    get: async (taskId) => {
      const found = tasks.get(taskId);
      return found === undefined ? undefined : clone(found);
    },
    list: async (filter) => clone([...tasks.values()].filter((t) => filter?.datasetId === undefined || t.dataset_id === filter.datasetId).sort(byNewest)),
    async update(taskId, patch) {
      const current = tasks.get(taskId);
      if (current === undefined) throw new NotFoundError(`task not found: ${taskId}`, { details: { task_id: taskId } });
      const next = clone({ ...current, ...patch, task_id: taskId });
      tasks.set(taskId, next);
      return clone(next);
    },
  };
}
