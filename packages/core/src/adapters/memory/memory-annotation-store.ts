import { storedCopy as clone } from '../../platform/safe-json.js';
import { CoreError, NotFoundError, ValidationError } from '../../errors.js';
import type { AnnotationStore } from '../../annotations/annotation-store.port.js';
import type { AnnotationTask, ImageAnnotation, StoredTaskItem } from '../../annotations/annotation.schema.js';


interface StoredTask {
  task: AnnotationTask;
  items: StoredTaskItem[];
  itemIds: Set<string>;
  annotations: Map<string, ImageAnnotation>;
}

/**
 * `AnnotationStore` on maps; every value goes in and out as a copy.
 * @example const annotations = createMemoryAnnotationStore();
 */
export function createMemoryAnnotationStore(): AnnotationStore {
  const tasks = new Map<string, StoredTask>();
  const inItemOrder = (stored: StoredTask) =>
    stored.items.flatMap((item) => {
      const annotation = stored.annotations.get(item.image_id);
      return annotation === undefined ? [] : [annotation];
    });

  return {
    async createTask(task, items, imported) {
      if (tasks.has(task.task_id)) {
        throw new CoreError('CONFLICT', `annotation task ${task.task_id} already exists`, { details: { task_id: task.task_id } });
      }
      const ids = new Set(items.map((item) => item.image_id));
      if (ids.size !== items.length || imported.some((annotation) => !ids.has(annotation.image_id))) {
        throw new ValidationError(`task ${task.task_id} repeats an image id or imports boxes for an image it does not list`, {
          reason: 'inconsistent_task_items',
        });
      }
      const annotations = new Map(imported.map((annotation) => [annotation.image_id, clone(annotation)]));
      tasks.set(task.task_id, { task: clone(task), items: clone(items), itemIds: ids, annotations });
    },
    async getTask(taskId) {
      const stored = tasks.get(taskId);
      return stored === undefined ? undefined : clone(stored.task);
    },
    listItems: async (taskId) => clone(tasks.get(taskId)?.items ?? []),
    annotatedImageIds: async (taskId) => new Set(tasks.get(taskId)?.annotations.keys() ?? []),
    async getAnnotation(taskId, imageId) {
      const annotation = tasks.get(taskId)?.annotations.get(imageId);
      return annotation === undefined ? undefined : clone(annotation);
    },
    async listAnnotations(taskId) {
      const stored = tasks.get(taskId);
      return stored === undefined ? [] : clone(inItemOrder(stored));
    },
    async saveAnnotation(taskId, annotation) {
      const stored = tasks.get(taskId);
      if (stored === undefined || !stored.itemIds.has(annotation.image_id)) {
        throw new NotFoundError(`annotation task ${taskId} has no image ${annotation.image_id}`, {
          details: { task_id: taskId, image_id: annotation.image_id },
        });
      }
      stored.annotations.set(annotation.image_id, clone(annotation));
    },
    deleteTask: async (taskId) => tasks.delete(taskId),
  };
}
