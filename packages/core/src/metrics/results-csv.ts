import { ValidationError } from '../errors.js';

/** One epoch of an Ultralytics `results.csv`. */
export interface ResultsCsvRow {
  /** 1-based epoch, whatever the writing version used (see {@link parseResultsCsv}). */
  epoch: number;
  /** Every column but `epoch`, by trimmed header name; `nan`, `inf`, empty and missing cells are null. */
  values: Record<string, number | null>;
}

/** A parsed `results.csv`: metric columns (without `epoch`) in first-seen order, rows in file order. */
export interface ParsedResultsCsv {
  columns: string[];
  rows: ResultsCsvRow[];
}

/**
 * Parses the `results.csv` any Ultralytics version writes (YOLOv5, 8.0–8.2 space-padded headers,
 * 8.3 `epoch,time,…`), including one still being written.
 *
 * Rules, decided once:
 * - Only complete lines count: text after the last `\n` is a row being written and is ignored.
 * - Epochs are made 1-based per file: when the first data row says epoch 0 (YOLOv5, early 8.0), every
 *   epoch gets +1; otherwise (8.0 later, 8.1+, which write `epoch + 1`) they are kept.
 * - Header and cells are trimmed; `nan`/`inf`/empty/missing cells are null; a row whose epoch is not
 *   a non-negative integer is skipped. Rows stay in file order, duplicates included (a resumed run may
 *   re-run an epoch; consumers keep the last).
 * - A line starting with `epoch` again is a new header for the rows below it (`columns` is the union).
 *   Cells beyond the header are dropped. A short row keeps its trailing learning-rate cells
 *   (`lr/*`, `x/lr*`, always written last) on the learning-rate columns, so a missing validation block
 *   becomes null instead of shifting LR values into the metrics.
 *
 * @throws ValidationError when a data line comes before a header whose first column is `epoch`.
 * @see https://docs.ultralytics.com/modes/train/ (results.csv is written by the trainer's save_metrics)
 * @example
 * const { rows } = parseResultsCsv(await readFile('runs/detect/train/results.csv', 'utf8'));
 * rows.at(-1)?.values['metrics/mAP50(B)'];
 */
export function parseResultsCsv(text: string): ParsedResultsCsv {
  const columns: string[] = [];
  const rows: ResultsCsvRow[] = [];
  let header: string[] | undefined;
  for (const line of completeLines(text)) {
    const cells = line.split(',').map((cell) => cell.trim());
    if (cells[0]?.toLowerCase() === 'epoch') {
      header = cells.slice(1);
      for (const name of header) if (!columns.includes(name)) columns.push(name);
      continue;
    }
    if (!header) {
      throw new ValidationError('results.csv must start with a header line whose first column is "epoch"', { reason: 'results_csv_header' });
    }
    const epoch = parseCell(cells[0]);
    if (epoch === null || !Number.isInteger(epoch) || epoch < 0) continue;
    rows.push({ epoch, values: rowValues(header, cells.slice(1)) });
  }
  const shift = rows[0]?.epoch === 0 ? 1 : 0;
  return { columns, rows: shift === 0 ? rows : rows.map((row) => ({ ...row, epoch: row.epoch + shift })) };
}

function completeLines(text: string): string[] {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const end = body.lastIndexOf('\n');
  if (end < 0) return [];
  return body
    .slice(0, end)
    .split('\n')
    .map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line))
    .filter((line) => line.trim() !== '');
}

function parseCell(cell: string | undefined): number | null {
  if (cell === undefined || cell === '') return null;
  const value = Number(cell);
  return Number.isFinite(value) ? value : null;
}

function rowValues(names: string[], cells: string[]): Record<string, number | null> {
  const at = cellIndexes(names, cells.length);
  const values: Record<string, number | null> = {};
  names.forEach((name, i) => {
    const index = at[i];
    values[name] = index === undefined ? null : parseCell(cells[index]);
  });
  return values;
}

const isLearningRate = (name: string) => name.startsWith('lr/') || name.startsWith('x/lr');

/** Which cell holds each column: positional, except that a short row's trailing LR cells stay on the LR columns. */
function cellIndexes(names: string[], count: number): (number | undefined)[] {
  if (count >= names.length) return names.map((_, i) => i);
  let lrColumns = 0;
  while (lrColumns < names.length && isLearningRate(names[names.length - 1 - lrColumns] ?? '')) lrColumns++;
  const tail = Math.min(lrColumns, count);
  const head = count - tail;
  return names.map((_, i) => {
    if (i >= names.length - tail) return count - (names.length - i);
    return i < head ? i : undefined;
  });
}
