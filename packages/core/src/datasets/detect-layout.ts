import type { DatasetLayout, SplitName } from './dataset.schema.js';

/** Image extensions accepted in datasets (what Ultralytics trains on and libvips decodes). */
export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.bmp']);
const YAML_NAMES = ['data.yaml', 'dataset.yaml', 'data.yml', 'dataset.yml'];
const SPLIT_DIRS: Record<string, SplitName> = { train: 'train', val: 'val', valid: 'val', validation: 'val', test: 'test' };
const RESERVED_TOP = new Set(['images', 'labels', ...Object.keys(SPLIT_DIRS)]);

/** One image found in the ZIP, with where it goes in the canonical layout. */
export interface LayoutImage {
  /** ZIP entry name. */
  entry: string;
  /** Split given by the ZIP's folders, if any. */
  split?: SplitName;
  /** Path below the split folder (`sub/a.jpg`). */
  rel: string;
  /** ZIP entry name of its YOLO label file, when present. */
  label?: string;
}

export interface DetectedLayout {
  layout: DatasetLayout;
  /** Top folder everything sits in (`mydata/`), or ''. */
  root: string;
  images: LayoutImage[];
  labelsWithoutImage: string[];
  /** ZIP entry of a data.yaml / dataset.yaml, if any. */
  yaml?: string;
  /** ZIP entry of a darknet-style classes.txt, if any. */
  classesTxt?: string;
  ignored: string[];
}

export const extname = (name: string): string => {
  const base = name.slice(name.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot).toLowerCase() : '';
};
const stripExt = (name: string): string => name.slice(0, name.length - extname(name).length);
export const isImageName = (name: string): boolean => IMAGE_EXTENSIONS.has(extname(name));

function commonRoot(files: readonly string[]): string {
  const first = files[0]?.split('/')[0];
  if (first === undefined || RESERVED_TOP.has(first.toLowerCase())) return '';
  const all = files.every((f) => f.includes('/') && f.split('/')[0] === first);
  return all ? `${first}/` : '';
}

type Matcher = (rel: string) => { split?: SplitName; rel: string; labelRel: string } | undefined;

const ultralytics: Matcher = (rel) => {
  const m = /^images\/(.+)$/.exec(rel);
  if (!m?.[1]) return undefined;
  const rest = m[1];
  const [head, ...tail] = rest.split('/');
  const split = tail.length > 0 && head ? SPLIT_DIRS[head.toLowerCase()] : undefined;
  return { split, rel: split ? tail.join('/') : rest, labelRel: `labels/${stripExt(rest)}.txt` };
};

const roboflow: Matcher = (rel) => {
  const m = /^([^/]+)\/images\/(.+)$/.exec(rel);
  const split = m?.[1] ? SPLIT_DIRS[m[1].toLowerCase()] : undefined;
  if (!m?.[2] || !split) return undefined;
  return { split, rel: m[2], labelRel: `${m[1]}/labels/${stripExt(m[2])}.txt` };
};

const flat: Matcher = (rel) => ({ rel, labelRel: `${stripExt(rel)}.txt` });

function pickLayout(rels: readonly string[]): [DatasetLayout, Matcher] {
  const images = rels.filter(isImageName);
  const ultra = images.filter((r) => ultralytics(r));
  if (ultra.length > 0) {
    return [ultra.some((r) => ultralytics(r)?.split) ? 'ultralytics' : 'images-labels', ultralytics];
  }
  if (images.some((r) => roboflow(r))) return ['roboflow', roboflow];
  return ['flat', flat];
}

/**
 * Recognises how a dataset ZIP is organised from its entry names alone: Ultralytics
 * (`images/{train,val,test}` + `labels/…`), Roboflow (`train/images` + `train/labels`),
 * `images/` + `labels/` without splits, or flat images (labels beside them), optionally in one top folder.
 * @example detectLayout(['coco8/images/train/a.jpg', 'coco8/labels/train/a.txt']).layout // 'ultralytics'
 */
export function detectLayout(files: readonly string[]): DetectedLayout {
  const root = commonRoot(files);
  const rels = files.map((f) => f.slice(root.length));
  const [layout, match] = pickLayout(rels);
  const relSet = new Set(rels);
  const yamlRel = YAML_NAMES.find((n) => relSet.has(n));
  const classesRel = ['classes.txt', 'labels/classes.txt', 'obj.names'].find((n) => relSet.has(n));
  const images: LayoutImage[] = [];
  const usedLabels = new Set<string>();
  for (const rel of rels) {
    const m = isImageName(rel) ? match(rel) : undefined;
    if (!m) continue;
    const label = relSet.has(m.labelRel) ? m.labelRel : undefined;
    if (label) usedLabels.add(label);
    images.push({ entry: root + rel, split: m.split, rel: m.rel, ...(label ? { label: root + label } : {}) });
  }
  const labelsWithoutImage: string[] = [];
  const ignored: string[] = [];
  for (const rel of rels) {
    if (usedLabels.has(rel) || rel === yamlRel || rel === classesRel || (isImageName(rel) && match(rel))) continue;
    const isLabel = extname(rel) === '.txt' && (layout === 'flat' || /(^|\/)labels\//.test(rel));
    (isLabel ? labelsWithoutImage : ignored).push(root + rel);
  }
  return {
    layout,
    root,
    images,
    labelsWithoutImage,
    ...(yamlRel ? { yaml: root + yamlRel } : {}),
    ...(classesRel ? { classesTxt: root + classesRel } : {}),
    ignored,
  };
}
