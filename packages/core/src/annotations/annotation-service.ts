import { z } from 'zod';
import { NotFoundError, ValidationError } from '../errors.js';
import type { Clock } from '../platform/clock.port.js';
import { createId } from '../platform/ids.js';
import type { BlobStore } from '../storage/blob-store.port.js';
import { validateClassNames } from '../datasets/dataset-classes.js';
import type { DatasetService } from '../datasets/dataset-service.js';
import type { DatasetStore } from '../datasets/dataset-store.port.js';
import type { DatasetImage } from '../datasets/dataset.schema.js';
import { versionKey } from '../datasets/prepare-dataset.js';
import { pixelBoxToYolo, yoloToPixelBox } from '../labels/box-convert.js';
import { parseYoloLabels, serializeYoloLabels, type YoloRow } from '../labels/yolo-labels.js';
import type { AnnotationStore } from './annotation-store.port.js';
import { PixelBoxSchema, type AnnotationTask, type ImageAnnotation, type PixelBox, type TaskItem } from './annotation.schema.js';
import { buildTaskItems } from './task-items.js';

export interface AnnotationServiceDeps {
  annotations: AnnotationStore;
  datasets: DatasetStore;
  datasetService: DatasetService;
  blobs: BlobStore;
  clock: Clock;
}

const BoxesSchema = z.array(PixelBoxSchema.extend({ x1: z.number().finite(), y1: z.number().finite(), x2: z.number().finite(), y2: z.number().finite() })).max(10_000);

/**
 * Finds the dataset image of a task item: by its path, else (the dataset was prepared again and the image
 * moved to another split) by its path below the split folder when that is unique.
 */
function createImageFinder(images: readonly DatasetImage[], root: string) {
  const belowSplit = (path: string) => path.replace(/^images\/[^/]+\//, '');
  const byPath = new Map(images.map((i) => [`${root}/${i.path}`, i]));
  const byRest = new Map<string, DatasetImage | null>();
  for (const image of images) {
    const rest = belowSplit(image.path);
    byRest.set(rest, byRest.has(rest) ? null : image);
  }
  return (imagePath: string): DatasetImage | undefined => {
    const exact = byPath.get(imagePath);
    if (exact || !imagePath.startsWith(`${root}/`)) return exact;
    return byRest.get(belowSplit(imagePath.slice(root.length + 1))) ?? undefined;
  };
}

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

  /** Images that got their first label file: keep the version index and label_count true. */
  async function recordNewLabels(task: AnnotationTask, all: DatasetImage[], updated: DatasetImage[]) {
    const byPath = new Map(updated.map((i) => [i.path, i]));
    const images = all.map((i) => byPath.get(i.path) ?? i);
    const report = await deps.datasets.getReport(task.dataset_id, task.version);
    if (report) await deps.datasets.putVersion(task.dataset_id, task.version, images, report);
    await deps.datasets.update(task.dataset_id, { label_count: images.filter((i) => i.label_path).length });
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
      const items: TaskItem[] = (await annotations.listItems(taskId)).map((item) => {
        const done = annotated.has(item.image_id);
        return { ...item, annotated: done, has_annotation: done };
      });
      return { task_id: taskId, items, classes: task.classes, imported_annotations: task.imported_annotations, total_items: items.length, annotated_count: annotated.size };
    },

    async getItem(taskId: string, imageId: string) {
      const task = await mustGetTask(taskId);
      const item = (await annotations.listItems(taskId)).find((i) => i.image_id === imageId);
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
      const root = versionKey(task.dataset_id, task.version);
      await deps.datasetService.mustGetVersion(task.dataset_id, task.version);
      const items = new Map((await annotations.listItems(taskId)).map((i) => [i.image_id, i]));
      const all = await deps.datasets.listImages(task.dataset_id, task.version);
      const findImage = createImageFinder(all, root);
      const updated: DatasetImage[] = [];
      const errors: string[] = [];
      const saved = await annotations.listAnnotations(taskId);
      let clipped = 0;
      let written = 0;
      for (const annotation of saved) {
        const item = items.get(annotation.image_id);
        const image = item && findImage(item.image_path);
        if (!item || !image) {
          errors.push(`${annotation.image_id}: the image is no longer in dataset ${task.dataset_id} ${task.version} (was it prepared again?)`);
          continue;
        }
        const rows = annotation.boxes.map((b) => pixelBoxToYolo(b, item.width, item.height)).filter((r): r is YoloRow => r !== undefined);
        clipped += annotation.boxes.length - rows.length;
        const labelPath = image.label_path ?? `labels/${image.path.slice('images/'.length).replace(/\.[^./]+$/, '')}.txt`;
        await blobs.write(`${root}/${labelPath}`, serializeYoloLabels(rows));
        written += 1;
        if (!image.label_path) updated.push({ ...image, label_path: labelPath });
      }
      if (updated.length > 0) await recordNewLabels(task, all, updated);
      return {
        ok: true as const,
        exported_count: written,
        dropped_boxes: clipped,
        labels_dir: blobs.localPath?.(`${root}/labels`) ?? `${root}/labels`,
        message: `Exported ${written} label files`,
        ...(errors.length > 0 ? { errors } : {}),
      };
    },
  };
}

export type AnnotationService = ReturnType<typeof createAnnotationService>;
