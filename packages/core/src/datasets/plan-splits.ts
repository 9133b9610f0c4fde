import { ValidationError } from '../errors.js';
import type { SplitName, SplitRatio } from './dataset.schema.js';
import type { LayoutImage } from './detect-layout.js';
import { assignSplits, validateSplitRatio } from './split/seeded-split.js';

export interface SplitOptions {
  ratio: SplitRatio;
  seed: number;
  /** Re-split even when the ZIP has its own train/val folders. */
  resplit: boolean;
}

export interface PlannedImage {
  image: LayoutImage;
  split: SplitName;
  /** Key below the version folder: `images/train/a.jpg`. */
  target: string;
  /** Key of its label file below the version folder: `labels/train/a.txt`. */
  labelTarget: string;
}

export const DEFAULT_SPLIT_RATIO: SplitRatio = { train: 0.8, val: 0.2 };

const stem = (p: string) => p.replace(/\.[^./]+$/, '');

function uniqueTarget(split: SplitName, image: LayoutImage, taken: Set<string>): string {
  const candidates = [image.rel, `${image.split ?? 'img'}__${image.rel.replaceAll('/', '__')}`];
  for (let i = 0; ; i += 1) {
    const rel = candidates[i] ?? `${stem(image.rel)}__${i}${image.rel.slice(stem(image.rel).length)}`;
    const key = `images/${split}/${rel}`;
    const folded = stem(key).toLowerCase();
    if (!taken.has(folded)) {
      taken.add(folded);
      return key;
    }
  }
}

/**
 * Decides the split of every image: the ZIP's own folders unless `resplit`, else a seeded split that
 * depends only on the entry names and the seed (same ZIP + seed → same split).
 */
export function planSplits(images: readonly LayoutImage[], options: SplitOptions): PlannedImage[] {
  const ratio = validateSplitRatio(options.ratio);
  const seeded = images.filter((img) => options.resplit || !img.split);
  const assigned = assignSplits(
    seeded.map((img) => img.entry),
    ratio,
    options.seed,
  );
  const taken = new Set<string>();
  return images.map((image) => {
    const split = options.resplit || !image.split ? assigned.get(image.entry) : image.split;
    if (!split) throw new ValidationError(`no split could be assigned to "${image.entry}"`, { reason: 'invalid_split_ratio' });
    const target = uniqueTarget(split, image, taken);
    return { image, split, target, labelTarget: `labels/${stem(target.slice('images/'.length))}.txt` };
  });
}
