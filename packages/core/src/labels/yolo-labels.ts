import { formatFixed } from './format-fixed.js';

/** One YOLO detection row: class id and a box centre/size normalised to the image (0..1). */
export interface YoloRow {
  classId: number;
  cx: number;
  cy: number;
  w: number;
  h: number;
}

/** Stable machine-readable reason a label line was rejected. */
export type LabelIssueCode =
  | 'wrong_column_count'
  | 'invalid_number'
  | 'invalid_class_id'
  | 'class_out_of_range'
  | 'coordinate_out_of_range'
  | 'non_positive_size'
  | 'duplicate_row';

/** A rejected line of a label file; `line` is 1-based and counts blank lines too. */
export interface LabelIssue {
  line: number;
  code: LabelIssueCode;
  message: string;
}

/** The valid rows of a label file and one issue per rejected line, in line order. */
export interface ParsedYoloLabels {
  rows: YoloRow[];
  issues: LabelIssue[];
}

/** Options of {@link parseYoloLabels}; `nc` (number of classes) enables the class range check. */
export interface ParseYoloLabelsOptions {
  nc?: number;
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const LINE_BREAK = /\r\n|\r|\n/;
const WHITESPACE = /\s+/;
const TOLERANCE = 1e-6;
const FIELDS = ['cx', 'cy', 'w', 'h'] as const;
const MAX_SHOWN = 40;

type LineResult = { row: YoloRow } | { code: LabelIssueCode; message: string };

/**
 * Parses a YOLO detection label file, keeping valid rows and reporting every invalid line (never throws on content).
 * @example parseYoloLabels('0 0.5 0.5 0.2 0.1\n0 NaN 0 0 0', { nc: 80 }) // 1 row, 1 invalid_number issue
 * @see https://docs.ultralytics.com/datasets/detect/#ultralytics-yolo-format
 */
export function parseYoloLabels(text: string, options: ParseYoloLabelsOptions = {}): ParsedYoloLabels {
  const { nc } = options;
  if (nc !== undefined && !(Number.isSafeInteger(nc) && nc >= 0)) {
    throw new RangeError(`nc must be a non-negative integer, got ${nc}`);
  }
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lines = body.split(LINE_BREAK);
  const rows: YoloRow[] = [];
  const issues: LabelIssue[] = [];
  const seen = new RowIndex();
  for (let index = 0; index < lines.length; index += 1) {
    const trimmed = (lines[index] ?? '').trim();
    if (trimmed === '') continue;
    const line = index + 1;
    const result = parseLine(trimmed.split(WHITESPACE), nc);
    if ('code' in result) {
      issues.push({ line, ...result });
      continue;
    }
    const earlier = seen.lineOf(result.row);
    if (earlier !== undefined) {
      issues.push({ line, code: 'duplicate_row', message: `duplicate of line ${earlier}: "${show(trimmed)}"` });
      continue;
    }
    seen.add(result.row, line);
    rows.push(result.row);
  }
  return { rows, issues };
}

/**
 * Serialises rows as `cls cx cy w h` with 6 decimals (Python rounding), '\n'-joined, no trailing newline; [] → ''.
 * @see https://docs.ultralytics.com/datasets/detect/#ultralytics-yolo-format
 */
export function serializeYoloLabels(rows: readonly YoloRow[]): string {
  return rows
    .map(({ classId, cx, cy, w, h }) =>
      [String(classId), formatFixed(cx, 6), formatFixed(cy, 6), formatFixed(w, 6), formatFixed(h, 6)].join(' '),
    )
    .join('\n');
}

/** Numeric-equality lookup of earlier rows, hashed on the five values without building strings. */
class RowIndex {
  private readonly buckets = new Map<number, { row: YoloRow; line: number }[]>();

  lineOf(row: YoloRow): number | undefined {
    const bucket = this.buckets.get(hashRow(row));
    return bucket?.find(({ row: other }) => sameRow(row, other))?.line;
  }

  add(row: YoloRow, line: number): void {
    const hash = hashRow(row);
    const bucket = this.buckets.get(hash);
    if (bucket === undefined) this.buckets.set(hash, [{ row, line }]);
    else bucket.push({ row, line });
  }
}

const sameRow = (a: YoloRow, b: YoloRow): boolean =>
  a.classId === b.classId && a.cx === b.cx && a.cy === b.cy && a.w === b.w && a.h === b.h;

const float64 = new Float64Array(1);
const words = new Int32Array(float64.buffer);

/** Hashes the exact bits of the five values (so crafted near-equal rows cannot pile into one bucket). */
function hashRow({ classId, cx, cy, w, h }: YoloRow): number {
  let hash = 0x811c9dc5;
  for (const value of [classId, cx, cy, w, h]) {
    float64[0] = value === 0 ? 0 : value; // -0 and 0 are equal rows
    hash = Math.imul(hash ^ (words[0] ?? 0), 0x9e3779b1);
    hash = Math.imul(hash ^ (words[1] ?? 0), 0x85ebca6b);
  }
  return hash ^ (hash >>> 15);
}

function parseLine(tokens: string[], nc: number | undefined): LineResult {
  if (tokens.length !== 5) return columnIssue(tokens.length);
  const values: number[] = [];
  for (const [position, token] of tokens.entries()) {
    const value = DECIMAL.test(token) ? Number(token) : Number.NaN;
    if (!Number.isFinite(value)) {
      const name = position === 0 ? 'class id' : FIELDS[position - 1];
      return { code: 'invalid_number', message: `${name} "${show(token)}" is not a finite decimal number` };
    }
    values.push(value);
  }
  const [classId = 0, cx = 0, cy = 0, w = 0, h = 0] = values;
  if (!Number.isSafeInteger(classId) || classId < 0) {
    return { code: 'invalid_class_id', message: `class id ${show(tokens[0] ?? '')} is not a non-negative integer` };
  }
  if (nc !== undefined && classId >= nc) {
    return { code: 'class_out_of_range', message: `class id ${classId} is out of range (nc=${nc})` };
  }
  const row: YoloRow = { classId: classId === 0 ? 0 : classId, cx, cy, w, h };
  for (const field of FIELDS) {
    const value = row[field];
    if (value < -TOLERANCE || value > 1 + TOLERANCE) {
      return { code: 'coordinate_out_of_range', message: `${field} ${value} is outside [0, 1]` };
    }
  }
  if (w <= 0 || h <= 0) {
    return { code: 'non_positive_size', message: `box size must be positive, got w=${w} h=${h}` };
  }
  return { row };
}

function columnIssue(count: number): LineResult {
  const polygon = count >= 7 && count % 2 === 1;
  const message = polygon
    ? `expected 5 columns "class cx cy w h", got ${count}: segment polygons are not supported for detection labels`
    : `expected 5 columns "class cx cy w h", got ${count}`;
  return { code: 'wrong_column_count', message };
}

/** Shortens untrusted text quoted in a message. */
function show(text: string): string {
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
}
