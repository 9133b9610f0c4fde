import { CoreError, NotFoundError } from '../../errors.js';
import type { ProcessingTask } from '../../instructions/instruction.schema.js';
import type { ProcessingTaskStore } from '../../instructions/processing-task-store.port.js';
import { parseStoredJson, storedCopy } from '../../platform/safe-json.js';
import type { PostgresDatabase } from './postgres-database.js';

const parse = (data: string): ProcessingTask => parseStoredJson<ProcessingTask>(data);

/**
 * `ProcessingTaskStore` on PostgreSQL (`processing_tasks` from migration 3): the task is JSON text, with `dataset_id`,
 * `created_at` and `status` mirrored for filtering and ordering; an update reads the row `FOR UPDATE`, so two
 * servers patching one task at once both land.
 * @example const tasks = createPostgresProcessingTaskStore(await openPgliteDatabase());
 */
export function createPostgresProcessingTaskStore(db: PostgresDatabase): ProcessingTaskStore {
  return {
    async create(task) {
      const record = storedCopy(task);
      const { rows } = await db.query(
        'INSERT INTO processing_tasks (task_id, dataset_id, created_at, status, data) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (task_id) DO NOTHING RETURNING task_id',
        [record.task_id, record.dataset_id, record.created_at, record.status, JSON.stringify(record)],
      );
      if (rows.length === 0) throw new CoreError('CONFLICT', `task ${task.task_id} already exists`, { details: { task_id: task.task_id } });
    },
    async get(taskId) {
      const row = (await db.query<{ data: string }>('SELECT data FROM processing_tasks WHERE task_id = $1', [taskId])).rows[0];
      return row && parse(row.data);
    },
    async list(filter) {
      const { rows } = await db.query<{ data: string }>(
        'SELECT data FROM processing_tasks WHERE $1::text IS NULL OR dataset_id = $1 ORDER BY created_at DESC, task_id DESC',
        [filter?.datasetId ?? null],
      );
      return rows.map((row) => parse(row.data));
    },
    update: (taskId, patch) =>
      db.transaction(async (tx) => {
        const row = (await tx.query<{ data: string }>('SELECT data FROM processing_tasks WHERE task_id = $1 FOR UPDATE', [taskId])).rows[0];
        if (row === undefined) throw new NotFoundError(`task not found: ${taskId}`, { details: { task_id: taskId } });
        const next = storedCopy({ ...parse(row.data), ...patch, task_id: taskId });
        await tx.query('UPDATE processing_tasks SET dataset_id = $2, created_at = $3, status = $4, data = $5 WHERE task_id = $1', [
          taskId, next.dataset_id, next.created_at, next.status, JSON.stringify(next),
        ]);
        return next;
      }),
  };
}
