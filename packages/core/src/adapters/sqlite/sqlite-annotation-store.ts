import { CoreError, NotFoundError, ValidationError } from '../../errors.js';
import type { AnnotationStore } from '../../annotations/annotation-store.port.js';
import type { AnnotationTask, ImageAnnotation, PixelBox, StoredTaskItem } from '../../annotations/annotation.schema.js';
import { parseStoredJson, type SqliteDatabase } from './sqlite-database.js';

interface AnnotationRow {
  image_id: string;
  boxes: string;
  updated_at: string;
  source: ImageAnnotation['source'];
}

const toAnnotation = (row: AnnotationRow): ImageAnnotation => ({ ...row, boxes: parseStoredJson<PixelBox[]>(row.boxes) });
const sqliteCode = (error: unknown) => (error as { code?: unknown } | undefined)?.code;

/**
 * `AnnotationStore` on SQLite: tasks and items as JSON rows, one row of boxes per annotated image;
 * deleting a task cascades to its items and annotations.
 * @example const annotations = createSqliteAnnotationStore(openSqliteDatabase(file));
 */
export function createSqliteAnnotationStore(db: SqliteDatabase): AnnotationStore {
  const q = {
    insertTask: db.prepare<[string, string, string]>(
      'INSERT INTO annotation_tasks (task_id, dataset_id, data) VALUES (?, ?, ?) ON CONFLICT (task_id) DO NOTHING',
    ),
    task: db.prepare<[string], string>('SELECT data FROM annotation_tasks WHERE task_id = ?').pluck(),
    insertItem: db.prepare<[string, string, number, string]>('INSERT INTO task_items (task_id, image_id, ord, data) VALUES (?, ?, ?, ?)'),
    items: db.prepare<[string], string>('SELECT data FROM task_items WHERE task_id = ? ORDER BY ord').pluck(),
    annotatedIds: db.prepare<[string], string>('SELECT image_id FROM annotations WHERE task_id = ?').pluck(),
    annotation: db.prepare<[string, string], AnnotationRow>(
      'SELECT image_id, boxes, updated_at, source FROM annotations WHERE task_id = ? AND image_id = ?',
    ),
    annotations: db.prepare<[string], AnnotationRow>(
      `SELECT a.image_id, a.boxes, a.updated_at, a.source FROM annotations a
       JOIN task_items i ON i.task_id = a.task_id AND i.image_id = a.image_id WHERE a.task_id = ? ORDER BY i.ord`,
    ),
    save: db.prepare<[string, string, string, string, string]>(
      `INSERT INTO annotations (task_id, image_id, boxes, updated_at, source) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (task_id, image_id) DO UPDATE SET boxes = excluded.boxes, updated_at = excluded.updated_at, source = excluded.source`,
    ),
    deleteTask: db.prepare<[string]>('DELETE FROM annotation_tasks WHERE task_id = ?'),
  };
  const save = (taskId: string, a: ImageAnnotation) => q.save.run(taskId, a.image_id, JSON.stringify(a.boxes), a.updated_at, a.source);

  const createTask = db.transaction((task: AnnotationTask, items: StoredTaskItem[], imported: ImageAnnotation[]) => {
    if (q.insertTask.run(task.task_id, task.dataset_id, JSON.stringify(task)).changes === 0) {
      throw new CoreError('CONFLICT', `annotation task ${task.task_id} already exists`, { details: { task_id: task.task_id } });
    }
    items.forEach((item, ord) => q.insertItem.run(task.task_id, item.image_id, ord, JSON.stringify(item)));
    for (const annotation of imported) save(task.task_id, annotation);
  });

  return {
    async createTask(task, items, imported) {
      try {
        createTask.immediate(task, items, imported);
      } catch (error) {
        const code = sqliteCode(error);
        if (code !== 'SQLITE_CONSTRAINT_PRIMARYKEY' && code !== 'SQLITE_CONSTRAINT_FOREIGNKEY') throw error;
        throw new ValidationError(`task ${task.task_id} repeats an image id or imports boxes for an image it does not list`, {
          reason: 'inconsistent_task_items',
          cause: error,
        });
      }
    },
    async getTask(taskId) {
      const data = q.task.get(taskId);
      return data === undefined ? undefined : parseStoredJson<AnnotationTask>(data);
    },
    listItems: async (taskId) => q.items.all(taskId).map((data) => parseStoredJson<StoredTaskItem>(data)),
    annotatedImageIds: async (taskId) => new Set(q.annotatedIds.all(taskId)),
    async getAnnotation(taskId, imageId) {
      const row = q.annotation.get(taskId, imageId);
      return row === undefined ? undefined : toAnnotation(row);
    },
    listAnnotations: async (taskId) => q.annotations.all(taskId).map(toAnnotation),
    async saveAnnotation(taskId, annotation) {
      try {
        save(taskId, annotation);
      } catch (error) {
        if (sqliteCode(error) !== 'SQLITE_CONSTRAINT_FOREIGNKEY') throw error;
        throw new NotFoundError(`annotation task ${taskId} has no image ${annotation.image_id}`, {
          details: { task_id: taskId, image_id: annotation.image_id },
        });
      }
    },
    deleteTask: async (taskId) => q.deleteTask.run(taskId).changes > 0,
  };
}
