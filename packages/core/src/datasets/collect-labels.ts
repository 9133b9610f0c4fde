import { parseYoloLabels, serializeYoloLabels, type YoloRow } from '../labels/yolo-labels.js';
import type { ValidationIssue } from './dataset.schema.js';

export interface LabelSource {
  /** ZIP entry name (for the report). */
  entry: string;
  text: string;
}

export interface CleanLabels {
  rows: YoloRow[];
  /** Label file content with only valid rows, 6 decimals. */
  text: string;
  invalidLines: number;
}

/** Highest class id used by any well-formed row (-1 if none), for datasets that name no classes. */
export function maxClassId(sources: readonly LabelSource[]): number {
  let max = -1;
  for (const source of sources) {
    for (const row of parseYoloLabels(source.text).rows) max = Math.max(max, row.classId);
  }
  return max;
}

/** Parses one label file against `nc`, reports each invalid line and keeps the valid ones. */
export function cleanLabels(source: LabelSource, nc: number, report: (issue: ValidationIssue) => void): CleanLabels {
  const parsed = parseYoloLabels(source.text, { nc });
  for (const issue of parsed.issues) {
    report({ file: source.entry, line: issue.line, code: issue.code, message: issue.message });
  }
  return { rows: parsed.rows, text: serializeYoloLabels(parsed.rows), invalidLines: parsed.issues.length };
}
