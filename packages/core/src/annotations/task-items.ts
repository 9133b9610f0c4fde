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
