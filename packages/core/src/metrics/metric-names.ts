/** How a metric is charted: losses share one axis, 0–1 fractions are shown as 0–100 % on another. */
export type MetricKind = 'loss' | 'percent' | 'lr' | 'other';

/** Display labels of a metric; `zh` is seed 000's text where the seed names the metric. */
export interface MetricLabels {
  zh: string;
  en: string;
}

/** What yoloops knows about one canonical metric key. */
export interface MetricInfo {
  readonly key: string;
  readonly kind: MetricKind;
  readonly labels: Readonly<MetricLabels>;
}

interface BaseMetric {
  kind: MetricKind;
  zh: string;
  en: string;
  /** Measured on the training set: the bare key's label gets 训练/Train in front (val_ keys get 验证/Val). */
  train?: boolean;
  /** Label of the `val_` key when composing it would read badly. */
  val?: MetricLabels;
}

/** Base metrics in display order; prefixes `val_`, `mask_` (Ultralytics `(M)`) and `pose_` (`(P)`) compose with them. */
const BASE: Readonly<Record<string, BaseMetric>> = {
  loss: { kind: 'loss', zh: '损失函数', en: 'Loss', val: { zh: '验证损失', en: 'Val Loss' } },
  box_loss: { kind: 'loss', zh: '边框损失', en: 'Box Loss', train: true },
  cls_loss: { kind: 'loss', zh: '分类损失', en: 'Cls Loss', train: true },
  dfl_loss: { kind: 'loss', zh: 'DFL损失', en: 'DFL Loss', train: true },
  obj_loss: { kind: 'loss', zh: '目标置信度损失', en: 'Obj Loss', train: true },
  seg_loss: { kind: 'loss', zh: '分割损失', en: 'Seg Loss', train: true },
  pose_loss: { kind: 'loss', zh: '姿态损失', en: 'Pose Loss', train: true },
  kobj_loss: { kind: 'loss', zh: '关键点置信度损失', en: 'Kobj Loss', train: true },
  angle_loss: { kind: 'loss', zh: '角度损失', en: 'Angle Loss', train: true },
  accuracy: { kind: 'percent', zh: '准确率', en: 'Accuracy' },
  recall: { kind: 'percent', zh: '召回率', en: 'Recall' },
  precision: { kind: 'percent', zh: '精确率', en: 'Precision' },
  f1: { kind: 'percent', zh: 'F1分数', en: 'F1 Score' },
  map50: { kind: 'percent', zh: 'mAP@0.5', en: 'mAP@0.5' },
  map50_95: { kind: 'percent', zh: 'mAP@0.5:0.95', en: 'mAP@0.5:0.95' },
  accuracy_top1: { kind: 'percent', zh: 'Top-1 准确率', en: 'Top-1 Accuracy' },
  accuracy_top5: { kind: 'percent', zh: 'Top-5 准确率', en: 'Top-5 Accuracy' },
  time: { kind: 'other', zh: '耗时（秒）', en: 'Time (s)' },
};

/** Spellings of base metrics (after slugging) used by YOLOv5, seed 000, seed 004 and common loggers. */
const ALIASES: Readonly<Record<string, string>> = {
  prec: 'precision', acc: 'accuracy',
  f1_score: 'f1', f1score: 'f1',
  map_0_5: 'map50', map_50: 'map50', map0_5: 'map50',
  map_0_5_0_95: 'map50_95', map_50_95: 'map50_95', map0_5_0_95: 'map50_95',
  top1_acc: 'accuracy_top1', top5_acc: 'accuracy_top5',
};

/** Own-property lookup: metric names come from callers, and `constructor` or `__proto__` must not reach Object.prototype. */
function own<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

const GROUP_PREFIX: Readonly<Record<string, string>> = { B: '', M: 'mask_', P: 'pose_' };
const GROUP_LABEL: Readonly<Record<string, MetricLabels>> = { mask_: { zh: '掩码 ', en: 'Mask ' }, pose_: { zh: '姿态 ', en: 'Pose ' } };

/** Lower snake_case of any metric name: `valAccuracy` → `val_accuracy`, `mAP_0.5:0.95` → `map_0_5_0_95`. */
export function slugifyMetricName(name: string): string {
  return name
    .trim()
    .replace(/mAP/g, 'map')
    .replace(/([a-z0-9])(?=[A-Z][a-z0-9])/g, '$1_')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

function baseKey(slug: string): string {
  const aliased = own(ALIASES, slug) ?? slug;
  if (aliased.startsWith('val_')) return `val_${baseKey(aliased.slice(4))}`;
  if (aliased.startsWith('train_')) {
    const rest = baseKey(aliased.slice(6));
    if (own(BASE, rest)) return rest;
  }
  return aliased;
}

/**
 * Canonical key of a metric name from any trainer: `metrics/mAP50(B)` and `metrics/mAP_0.5` → `map50`,
 * `train/box_loss` → `box_loss`, `val/box_loss` → `val_box_loss`, `lr/pg0` and `x/lr0` → `lr_pg0`,
 * `valAccuracy` → `val_accuracy`, `prec` → `precision`; unknown names come back slugified (never dropped).
 * @example canonicalMetricName('metrics/mAP50-95(M)') // 'mask_map50_95'
 */
export function canonicalMetricName(name: string): string {
  const trimmed = name.trim();
  const lr = /^(?:lr\/pg|x\/lr)(\d+)$/i.exec(trimmed);
  if (lr) return `lr_pg${lr[1]}`;
  const scoped = /^(train|val|metrics)\/(.+)$/i.exec(trimmed);
  if (scoped) {
    const scope = (scoped[1] ?? '').toLowerCase();
    let rest = scoped[2] ?? '';
    let prefix = scope === 'val' ? 'val_' : '';
    const group = /\(([BMP])\)$/.exec(rest);
    if (group) {
      prefix += GROUP_PREFIX[group[1] ?? 'B'] ?? '';
      rest = rest.slice(0, -3);
    }
    const base = baseKey(slugifyMetricName(rest));
    if (base.length > 0) return prefix + base;
  }
  const key = baseKey(slugifyMetricName(trimmed));
  return key.length > 0 ? key : 'unnamed';
}

function inferKind(base: string): MetricKind {
  if (/(^|_)loss$/.test(base)) return 'loss';
  if (/^lr(_|$)/.test(base)) return 'lr';
  return 'other';
}

function composeLabels(val: boolean, group: string, base: BaseMetric): MetricLabels {
  if (val && base.val && group === '') return base.val;
  const side = val ? { zh: '验证', en: 'Val ' } : base.train ? { zh: '训练', en: 'Train ' } : { zh: '', en: '' };
  const grp = GROUP_LABEL[group] ?? { zh: '', en: '' };
  return { zh: side.zh + grp.zh + base.zh, en: side.en + grp.en + base.en };
}

/** Splits a canonical key into `val_`, a mask_/pose_ group and a known base metric, when it is one. */
function splitKey(key: string): { val: boolean; group: string; name: string; base: BaseMetric } | undefined {
  const val = key.startsWith('val_');
  const rest = val ? key.slice(4) : key;
  const whole = own(BASE, rest);
  if (whole) return { val, group: '', name: rest, base: whole };
  const grouped = /^(mask_|pose_)(.+)$/.exec(rest);
  const name = grouped?.[2] ?? '';
  const base = own(BASE, name);
  if (!grouped || !base || (base.kind !== 'percent' && base.kind !== 'loss')) return undefined;
  return { val, group: grouped[1] ?? '', name, base };
}

const BASE_RANK = new Map(Object.keys(BASE).map((key, i) => [key, i]));
const GROUP_RANK: Readonly<Record<string, number>> = { '': 0, mask_: 1, pose_: 2 };

/**
 * Sort order of canonical keys for display: known metrics in base order (training before `val_`, box
 * before mask before pose), then `lr_pg*` by group number, then every other key (ties keep input order).
 */
export function compareMetricKeys(a: string, b: string): number {
  return metricRank(a) - metricRank(b);
}

function metricRank(key: string): number {
  const parts = splitKey(key);
  if (parts) return ((BASE_RANK.get(parts.name) ?? 0) * 3 + (GROUP_RANK[parts.group] ?? 0)) * 2 + (parts.val ? 1 : 0);
  const lr = /^lr_pg(\d+)$/.exec(key);
  if (lr) return 10_000 + Number(lr[1]);
  return 1_000_000;
}

/**
 * Kind and labels of a metric name or canonical key; unknown metrics get a kind inferred from the key
 * (`…loss` → loss, `lr…` → lr, else other) and the key itself as label.
 */
export function metricInfo(name: string): MetricInfo {
  const cached = infoCache.get(name);
  if (cached) return cached;
  if (infoCache.size >= INFO_CACHE_LIMIT) infoCache.clear();
  const info = computeInfo(canonicalMetricName(name));
  Object.freeze(info.labels);
  Object.freeze(info);
  infoCache.set(name, info);
  return info;
}

const INFO_CACHE_LIMIT = 2048;
const infoCache = new Map<string, MetricInfo>();

function computeInfo(key: string): MetricInfo {
  const lr = /^lr_pg(\d+)$/.exec(key);
  if (lr) return { key, kind: 'lr', labels: { zh: `学习率 pg${lr[1]}`, en: `Learning Rate pg${lr[1]}` } };
  const parts = splitKey(key);
  if (!parts) return { key, kind: inferKind(key), labels: { zh: key, en: key } };
  return { key, kind: parts.base.kind, labels: composeLabels(parts.val, parts.group, parts.base) };
}

/** Canonical base keys in display order (the order charts use when no metric list is given). */
export const KNOWN_METRIC_KEYS: readonly string[] = Object.keys(BASE);

/**
 * Stored value of a metric: non-finite or missing values become `null`; a percent-kind value in (1, 100]
 * is read as a percentage and divided by 100, so every percent metric is stored as a 0–1 fraction
 * (a caller sending 93 or 0.93 for 93 % stores 0.93; exactly 1 means 100 %); other values are kept as sent.
 */
export function normalizeMetricValue(name: string, value: number | null | undefined): number | null {
  if (typeof value !== 'number' || !Number.isFinite(value)) return null;
  return metricInfo(name).kind === 'percent' ? percentToFraction(value) : value;
}

/** The percent rule alone: a value in (1, 100] is a percentage and becomes a fraction; others are kept. */
export function percentToFraction(value: number): number {
  return value > 1 && value <= 100 ? value / 100 : value;
}

/**
 * One epoch's metrics under canonical keys with normalised values; when two names share a key (e.g.
 * `metrics/mAP50(B)` and `metrics/mAP_0.5`), the first non-null value in object order is kept.
 */
export function canonicalizeMetrics(metrics: Readonly<Record<string, number | null | undefined>>): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [name, raw] of Object.entries(metrics)) {
    const key = canonicalMetricName(name);
    const value = normalizeMetricValue(key, raw);
    if (!Object.hasOwn(out, key) || out[key] === null) out[key] = value;
  }
  return out;
}
