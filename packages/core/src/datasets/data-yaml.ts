import YAML from 'yaml';
import type { SplitName } from './dataset.schema.js';

export interface DataYamlOptions {
  /** Dataset root written as `path`; omit for a portable file (Ultralytics then uses the YAML's folder). */
  path?: string;
  splits: readonly SplitName[];
  names: readonly string[];
}

/**
 * Renders an Ultralytics data.yaml (`path`, `train`, `val`, optional `test`, `names` list, `nc`)
 * with the origin's alphabetical key order.
 * @see https://docs.ultralytics.com/datasets/detect/
 */
export function renderDataYaml(options: DataYamlOptions): string {
  const doc: Record<string, unknown> = { names: [...options.names], nc: options.names.length };
  if (options.path !== undefined) doc.path = options.path;
  const has = (s: SplitName) => options.splits.includes(s);
  if (has('test')) doc.test = 'images/test';
  doc.train = 'images/train';
  doc.val = has('val') ? 'images/val' : 'images/train';
  return YAML.stringify(doc, { lineWidth: 0 });
}
