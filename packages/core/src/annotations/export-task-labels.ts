import type { DatasetImage } from '../datasets/dataset.schema.js';
import type { DatasetStore } from '../datasets/dataset-store.port.js';
import { renderDataYaml } from '../datasets/data-yaml.js';
import { versionKey } from '../datasets/prepare-dataset.js';
import { pixelBoxToYolo } from '../labels/box-convert.js';
import { serializeYoloLabels, type YoloRow } from '../labels/yolo-labels.js';
import type { BlobStore } from '../storage/blob-store.port.js';
import type { AnnotationStore } from './annotation-store.port.js';
import type { AnnotationTask } from './annotation.schema.js';
import { createTaskImageFinder } from './task-items.js';

export interface ExportTaskLabelsOptions {
  task: AnnotationTask;
  annotations: AnnotationStore;
  datasets: DatasetStore;
  blobs: BlobStore;
}

/** Images that got their first label file: keep the version index and label_count true. */
async function recordNewLabels(datasets: DatasetStore, task: AnnotationTask, all: DatasetImage[], updated: DatasetImage[]) {
  const byPath = new Map(updated.map((i) => [i.path, i]));
  const images = all.map((i) => byPath.get(i.path) ?? i);
  const report = await datasets.getReport(task.dataset_id, task.version);
  if (report) await datasets.putVersion(task.dataset_id, task.version, images, report);
  await datasets.update(task.dataset_id, { label_count: images.filter((i) => i.label_path).length });
}

/**
 * Makes the dataset name the task's classes (the task is what the labels were drawn with): updates the
 * record and rewrites data.yaml. Returns whether anything changed.
 */
async function adoptTaskClasses(o: ExportTaskLabelsOptions, images: readonly DatasetImage[]): Promise<boolean> {
  const { task, datasets, blobs } = o;
  const dataset = await datasets.get(task.dataset_id);
  if (!dataset || JSON.stringify(dataset.classes ?? []) === JSON.stringify(task.classes)) return false;
  const root = versionKey(task.dataset_id, task.version);
  const splits = (['train', 'val', 'test'] as const).filter((s) => images.some((i) => i.split === s));
  await blobs.write(`${root}/data.yaml`, renderDataYaml({ path: blobs.localPath?.(root) ?? root, splits, names: task.classes }));
  await datasets.update(task.dataset_id, { classes: [...task.classes] });
  return true;
}

/**
 * Writes every saved box list of a task as a YOLO label file into its dataset version: boxes swapped
 * when x1>x2, clipped to the image, 6 decimals; an image saved with no boxes gets an empty file. When the
 * task's classes differ from the dataset's, the dataset (and its data.yaml) takes the task's classes.
 * @see https://docs.ultralytics.com/datasets/detect/#ultralytics-yolo-format
 */
export async function exportTaskLabels({ task, annotations, datasets, blobs }: ExportTaskLabelsOptions) {
  const root = versionKey(task.dataset_id, task.version);
  const items = new Map((await annotations.listItems(task.task_id)).map((i) => [i.image_id, i]));
  const all = await datasets.listImages(task.dataset_id, task.version);
  const findImage = createTaskImageFinder(all, root);
  const updated: DatasetImage[] = [];
  const errors: string[] = [];
  let clipped = 0;
  let written = 0;
  for (const annotation of await annotations.listAnnotations(task.task_id)) {
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
  if (updated.length > 0) await recordNewLabels(datasets, task, all, updated);
  const classesUpdated = written > 0 && (await adoptTaskClasses({ task, annotations, datasets, blobs }, all));
  return {
    classes_updated: classesUpdated,
    ok: true as const,
    exported_count: written,
    dropped_boxes: clipped,
    labels_dir: blobs.localPath?.(`${root}/labels`) ?? `${root}/labels`,
    message: `Exported ${written} label files`,
    ...(errors.length > 0 ? { errors } : {}),
  };
}
