import { CoreError, NotFoundError, ValidationError } from '../../errors.js';
import type { AnnotationStore } from '../../annotations/annotation-store.port.js';
import type { AnnotationTask, ImageAnnotation, PixelBox, StoredTaskItem } from '../../annotations/annotation.schema.js';
import { parseStoredJson } from '../../platform/safe-json.js';
import type { PostgresDatabase, PostgresQueryable } from './postgres-database.js';
import { sqlState } from './postgres-sql.js';

interface AnnotationRow {
  image_id: string;
  boxes: string;
  updated_at: string;
  source: ImageAnnotation['source'];
}

const toAnnotation = (row: AnnotationRow): ImageAnnotation => ({ ...row, boxes: parseStoredJson<PixelBox[]>(row.boxes) });
const ANNOTATION_COLUMNS = 'a.image_id, a.boxes, a.updated_at, a.source';
const SAVE = `INSERT INTO annotations (task_id, image_id, boxes, updated_at, source) SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[])
  ON CONFLICT (task_id, image_id) DO UPDATE SET boxes = excluded.boxes, updated_at = excluded.updated_at, source = excluded.source`;
const saveParams = (taskId: string, list: ImageAnnotation[]) =>
  [taskId, list.map((a) => a.image_id), list.map((a) => JSON.stringify(a.boxes)), list.map((a) => a.updated_at), list.map((a) => a.source)];

/** Inserts the task, its items (one `unnest` statement) and its imported boxes inside `tx`. */
async function insertTask(tx: PostgresQueryable, task: AnnotationTask, items: StoredTaskItem[], imported: ImageAnnotation[]) {
  const { rows } = await tx.query('INSERT INTO annotation_tasks (task_id, dataset_id, data) VALUES ($1, $2, $3) ON CONFLICT (task_id) DO NOTHING RETURNING task_id', [
    task.task_id, task.dataset_id, JSON.stringify(task),
  ]);
  if (rows.length === 0) throw new CoreError('CONFLICT', `annotation task ${task.task_id} already exists`, { details: { task_id: task.task_id } });
  if (items.length > 0) {
    await tx.query('INSERT INTO task_items (task_id, image_id, ord, data) SELECT $1, * FROM unnest($2::text[], $3::integer[], $4::text[])', [
      task.task_id, items.map((i) => i.image_id), items.map((_, ord) => ord), items.map((i) => JSON.stringify(i)),
    ]);
  }
  // One image imported twice: the later boxes win, as saving them one by one would leave it.
  const latest = [...new Map(imported.map((a) => [a.image_id, a])).values()];
  if (latest.length > 0) await tx.query(SAVE, saveParams(task.task_id, latest));
}

/**
 * `AnnotationStore` on PostgreSQL (tables from migration 002): tasks and items as JSON text rows, one row of boxes per
 * annotated image; deleting a task cascades to its items and annotations.
 * @example const annotations = createPostgresAnnotationStore(await openPgliteDatabase());
 */
export function createPostgresAnnotationStore(db: PostgresDatabase): AnnotationStore {
  return {
    async createTask(task, items, imported) {
      try {
        await db.transaction((tx) => insertTask(tx, task, items, imported));
      } catch (error) {
        const state = sqlState(error);
        if (state !== '23505' && state !== '23503') throw error;
        throw new ValidationError(`task ${task.task_id} repeats an image id or imports boxes for an image it does not list`, {
          reason: 'inconsistent_task_items',
          cause: error,
        });
      }
    },
    async getTask(taskId) {
      const { rows } = await db.query<{ data: string }>('SELECT data FROM annotation_tasks WHERE task_id = $1', [taskId]);
      return rows[0] === undefined ? undefined : parseStoredJson<AnnotationTask>(rows[0].data);
    },
    listItems: async (taskId) =>
      (await db.query<{ data: string }>('SELECT data FROM task_items WHERE task_id = $1 ORDER BY ord', [taskId])).rows.map((r) => parseStoredJson<StoredTaskItem>(r.data)),
    annotatedImageIds: async (taskId) =>
      new Set((await db.query<{ image_id: string }>('SELECT image_id FROM annotations WHERE task_id = $1', [taskId])).rows.map((r) => r.image_id)),
    async getAnnotation(taskId, imageId) {
      const { rows } = await db.query<AnnotationRow>(`SELECT ${ANNOTATION_COLUMNS} FROM annotations a WHERE a.task_id = $1 AND a.image_id = $2`, [taskId, imageId]);
      return rows[0] === undefined ? undefined : toAnnotation(rows[0]);
    },
    listAnnotations: async (taskId) =>
      (await db.query<AnnotationRow>(
        `SELECT ${ANNOTATION_COLUMNS} FROM annotations a JOIN task_items i ON i.task_id = a.task_id AND i.image_id = a.image_id
          WHERE a.task_id = $1 ORDER BY i.ord`,
        [taskId],
      )).rows.map(toAnnotation),
    async saveAnnotation(taskId, annotation) {
      try {
        await db.query(SAVE, saveParams(taskId, [annotation]));
      } catch (error) {
        if (sqlState(error) !== '23503') throw error;
        throw new NotFoundError(`annotation task ${taskId} has no image ${annotation.image_id}`, { details: { task_id: taskId, image_id: annotation.image_id } });
      }
    },
    deleteTask: async (taskId) => (await db.query('DELETE FROM annotation_tasks WHERE task_id = $1 RETURNING task_id', [taskId])).rows.length > 0,
  };
}
