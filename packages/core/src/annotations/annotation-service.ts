import { z } from 'zod';
import { NotFoundError, ValidationError } from '../errors.js';
import type { Clock } from '../platform/clock.port.js';
import { createId } from '../platform/ids.js';
import type { BlobStore } from '../storage/blob-store.port.js';
import { validateClassNames } from '../datasets/dataset-classes.js';
import type { DatasetService } from '../datasets/dataset-service.js';
import type { DatasetStore } from '../datasets/dataset-store.port.js';
import { versionKey } from '../datasets/prepare-dataset.js';
import { yoloToPixelBox } from '../labels/box-convert.js';
import { parseYoloLabels } from '../labels/yolo-labels.js';
import type { AnnotationStore } from './annotation-store.port.js';
import { PixelBoxSchema, type AnnotationTask, type ImageAnnotation, type PixelBox, type TaskItem } from './annotation.schema.js';
import { exportTaskLabels } from './export-task-labels.js';
import { buildTaskItems, createTaskImageFinder } from './task-items.js';

export interface AnnotationServiceDeps {
  annotations: AnnotationStore;
  datasets: DatasetStore;
  datasetService: DatasetService;
  blobs: BlobStore;
  clock: Clock;
}

const BoxesSchema = z.array(PixelBoxSchema.extend({ x1: z.number().finite(), y1: z.number().finite(), x2: z.number().finite(), y2: z.number().finite() })).max(10_000);

/**
 * Annotation use cases over a prepared dataset version: tasks with their items (true image sizes),
 * import of existing YOLO labels as pixel boxes, saving boxes per image, and export back to YOLO files.
 */
export function createAnnotationService(deps: AnnotationServiceDeps) {
  const { annotations, blobs, clock } = deps;
  const now = () => clock.now().toISOString();

  async function mustGetTask(taskId: string): Promise<AnnotationTask> {
    const task = await annotations.getTask(taskId);
    if (!task) throw new NotFoundError('Task not found', { details: { task_id: taskId } });
    return task;
  }

  async function importLabels(root: string, items: ReturnType<typeof buildTaskItems>, labelPaths: Map<string, string>) {
    const imported: ImageAnnotation[] = [];
    for (const item of items) {
      const labelPath = labelPaths.get(item.image_path);
      if (!labelPath) continue;
      const { rows } = parseYoloLabels((await blobs.readBytes(`${root}/${labelPath}`)).toString('utf8'));
      if (rows.length === 0) continue;
      const boxes = rows.map((row) => yoloToPixelBox(row, item.width, item.height));
      imported.push({ image_id: item.image_id, boxes, updated_at: now(), source: 'imported' });
    }
    return imported;
  }

  /**
   * The task's items with `image_path` where each image is now: preparing the dataset again may have
   * moved an image to another split (the task keeps what it was created with).
   */
  async function currentItems(task: AnnotationTask) {
    const stored = await annotations.listItems(task.task_id);
    const find = createTaskImageFinder(await deps.datasets.listImages(task.dataset_id, task.version), versionKey(task.dataset_id, task.version));
    return stored.map((item) => {
      const image = find(item.image_path);
      return image ? { ...item, image_path: `${versionKey(task.dataset_id, task.version)}/${image.path}`, split: image.split } : item;
    });
  }

  return {
    async createTask(input: { dataset_id: string; version?: string | null; classes?: string[] | null }) {
      const version = input.version ?? 'v1';
      const dataset = await deps.datasetService.mustGetVersion(input.dataset_id, version);
      const classes = input.classes && input.classes.length > 0 ? validateClassNames(input.classes) : (dataset.classes ?? []);
      const images = await deps.datasets.listImages(dataset.dataset_id, version);
      const root = versionKey(dataset.dataset_id, version);
      const items = buildTaskItems(images, root);
      const labelPaths = new Map(images.flatMap((i) => (i.label_path ? [[`${root}/${i.path}`, i.label_path] as const] : [])));
      const imported = await importLabels(root, items, labelPaths);
      const task: AnnotationTask = {
        task_id: createId('task', clock), dataset_id: dataset.dataset_id, version, classes,
        created_at: now(), total_images: items.length, imported_annotations: imported.length,
      };
      await annotations.createTask(task, items, imported);
      return { ...task, total_items: items.length, annotated_count: imported.length };
    },

    async listItems(taskId: string) {
      const task = await mustGetTask(taskId);
      const annotated = await annotations.annotatedImageIds(taskId);
      const items: TaskItem[] = (await currentItems(task)).map((item) => {
        const done = annotated.has(item.image_id);
        return { ...item, annotated: done, has_annotation: done };
      });
      return { task_id: taskId, items, classes: task.classes, imported_annotations: task.imported_annotations, total_items: items.length, annotated_count: annotated.size };
    },

    async getItem(taskId: string, imageId: string) {
      const task = await mustGetTask(taskId);
      const item = (await currentItems(task)).find((i) => i.image_id === imageId);
      if (!item) throw new NotFoundError('Image not found', { details: { task_id: taskId, image_id: imageId } });
      const saved = await annotations.getAnnotation(taskId, imageId);
      return { ...item, boxes: saved?.boxes ?? [], classes: task.classes, ...(saved ? { updated_at: saved.updated_at, source: saved.source } : {}) };
    },

    async saveItem(taskId: string, imageId: string, boxesInput: unknown) {
      const task = await mustGetTask(taskId);
      const item = (await annotations.listItems(taskId)).find((i) => i.image_id === imageId);
      if (!item) throw new NotFoundError('Image not found', { details: { task_id: taskId, image_id: imageId } });
      const parsed = BoxesSchema.safeParse(boxesInput);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new ValidationError(`boxes${issue?.path.map((p) => `[${String(p)}]`).join('') ?? ''}: ${issue?.message ?? 'invalid'}`, { reason: 'invalid_box' });
      }
      const boxes: PixelBox[] = parsed.data;
      boxes.forEach((b, i) => {
        if (task.classes.length > 0 && b.class_id >= task.classes.length) {
          throw new ValidationError(`boxes[${i}].class_id ${b.class_id} is out of range: the task has ${task.classes.length} classes`, { reason: 'invalid_box' });
        }
      });
      const updated_at = now();
      await annotations.saveAnnotation(taskId, { image_id: imageId, boxes, updated_at, source: 'manual' });
      return { ok: true as const, message: 'Annotation saved', image_id: imageId, box_count: boxes.length, updated_at };
    },

    async exportYolo(taskId: string, format = 'yolo') {
      if (format !== 'yolo') throw new ValidationError(`Only yolo format is supported (got "${format}")`, { reason: 'unsupported_format' });
      const task = await mustGetTask(taskId);
      await deps.datasetService.mustGetVersion(task.dataset_id, task.version);
      return exportTaskLabels({ task, annotations, datasets: deps.datasets, blobs });
    },
  };
}

export type AnnotationService = ReturnType<typeof createAnnotationService>;
