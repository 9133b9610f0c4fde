import { CoreError, NotFoundError } from '../../errors.js';
import type { ProcessingTask } from '../../instructions/instruction.schema.js';
import type { ProcessingTaskStore } from '../../instructions/processing-task-store.port.js';
import { parseStoredJson, type SqliteDatabase } from './sqlite-database.js';

const normalize = (task: ProcessingTask): ProcessingTask => parseStoredJson(JSON.stringify(task));

/**
 * `ProcessingTaskStore` on SQLite (`processing_tasks`, from `MIGRATIONS`): the task is a JSON column,
 * with `dataset_id`, `created_at` and `status` mirrored for filtering and ordering.
 * @example const tasks = createSqliteProcessingTaskStore(openSqliteDatabase(file));
 */
export function createSqliteProcessingTaskStore(db: SqliteDatabase): ProcessingTaskStore {
  const q = {
    insert: db.prepare<[string, string, string, string, string]>(
      'INSERT INTO processing_tasks (task_id, dataset_id, created_at, status, data) VALUES (?, ?, ?, ?, ?) ON CONFLICT (task_id) DO NOTHING',
    ),
    get: db.prepare<[string], string>('SELECT data FROM processing_tasks WHERE task_id = ?').pluck(),
    list: db.prepare<[], string>('SELECT data FROM processing_tasks ORDER BY created_at DESC, task_id DESC').pluck(),
    listFor: db.prepare<[string], string>('SELECT data FROM processing_tasks WHERE dataset_id = ? ORDER BY created_at DESC, task_id DESC').pluck(),
    save: db.prepare<[string, string, string, string, string]>('UPDATE processing_tasks SET dataset_id = ?, created_at = ?, status = ?, data = ? WHERE task_id = ?'),
  };
  const update = db.transaction((taskId: string, patch: Partial<ProcessingTask>): ProcessingTask => {
    const data = q.get.get(taskId);
    if (data === undefined) throw new NotFoundError(`task not found: ${taskId}`, { details: { task_id: taskId } });
    const next = normalize({ ...parseStoredJson<ProcessingTask>(data), ...patch, task_id: taskId });
    q.save.run(next.dataset_id, next.created_at, next.status, JSON.stringify(next), taskId);
    return next;
  });
  return {
    async create(task) {
      const record = normalize(task);
      if (q.insert.run(record.task_id, record.dataset_id, record.created_at, record.status, JSON.stringify(record)).changes === 0) {
        throw new CoreError('CONFLICT', `task ${task.task_id} already exists`, { details: { task_id: task.task_id } });
      }
    },
    async get(taskId) {
      const data = q.get.get(taskId);
      return data === undefined ? undefined : parseStoredJson<ProcessingTask>(data);
    },
    list: async (filter) =>
      (filter?.datasetId === undefined ? q.list.all() : q.listFor.all(filter.datasetId)).map((data) => parseStoredJson<ProcessingTask>(data)),
    update: async (taskId, patch) => update.immediate(taskId, patch),
  };
}
