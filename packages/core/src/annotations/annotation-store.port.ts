import type { AnnotationTask, ImageAnnotation, StoredTaskItem } from './annotation.schema.js';

/** Annotation tasks, their items and the boxes saved per image. */
export interface AnnotationStore {
  /** Stores a task with its items and any imported annotations in one transaction. */
  createTask(task: AnnotationTask, items: StoredTaskItem[], imported: ImageAnnotation[]): Promise<void>;
  getTask(taskId: string): Promise<AnnotationTask | undefined>;
  listItems(taskId: string): Promise<StoredTaskItem[]>;
  /** Ids of the items that have a saved (possibly empty) box list. */
  annotatedImageIds(taskId: string): Promise<Set<string>>;
  getAnnotation(taskId: string, imageId: string): Promise<ImageAnnotation | undefined>;
  listAnnotations(taskId: string): Promise<ImageAnnotation[]>;
  saveAnnotation(taskId: string, annotation: ImageAnnotation): Promise<void>;
  deleteTask(taskId: string): Promise<boolean>;
}
