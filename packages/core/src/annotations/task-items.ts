import type { DatasetImage } from '../datasets/dataset.schema.js';
import type { StoredTaskItem } from './annotation.schema.js';

const stemOf = (path: string) => {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
};

/**
 * Builds task items from a version's images. `image_id` is the file stem as in the origin, made unique
 * (the origin let `train/a.jpg` and `val/a.jpg` collide): later duplicates get `<split>__<path>` ids.
 */
export function buildTaskItems(images: readonly DatasetImage[], versionKey: string): StoredTaskItem[] {
  const taken = new Set<string>();
  return images.map((image) => {
    let id = stemOf(image.path);
    if (taken.has(id)) id = image.path.slice('images/'.length).replace(/\.[^./]+$/, '').replaceAll('/', '__');
    for (let i = 2; taken.has(id); i += 1) id = `${id}_${i}`;
    taken.add(id);
    return { image_id: id, image_path: `${versionKey}/${image.path}`, width: image.width, height: image.height, split: image.split };
  });
}

/**
 * Finds the dataset image of a task item: by its path, else (the dataset was prepared again and the image
 * moved to another split) by its path below the split folder when that is unique.
 */
export function createTaskImageFinder(images: readonly DatasetImage[], root: string) {
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
