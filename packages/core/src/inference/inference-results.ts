import type { Detection } from './inference.types.js';

/** One image of an inference session, as `POST /infer/{model_id}/export` answers and results.csv lists it. */
export interface SessionImageResult {
  image_uuid: string;
  image_filename: string;
  model_id: string;
  image_width: number;
  image_height: number;
  detection_count: number;
  detections: Detection[];
}

/** The session's metadata.json. */
export interface SessionMetadata {
  session_id: string;
  model_id: string;
  created_at: string;
  total_images: number;
  total_detections: number;
}

/** results.csv columns, in the origin's order. */
export const RESULTS_CSV_COLUMNS = [
  'image_uuid', 'image_filename', 'model_id', 'image_width', 'image_height', 'detection_count',
  'detection_index', 'class_id', 'class_name', 'confidence', 'x1', 'y1', 'x2', 'y2',
] as const;

/**
 * A float as Python's `repr` writes it (what the origin's csv module wrote): shortest round-trip digits,
 * always a `.0` or exponent, exponent form below 1e-4 and from 1e16 (`1e-05`, `1e+16`).
 * @example pythonFloatRepr(123) // '123.0'
 */
export function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(x);
  if (abs >= 1e16 || abs < 1e-4) {
    const [mantissa, exponent] = x.toExponential().split('e') as [string, string];
    const exp = Number(exponent);
    return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  const text = String(x);
  return text.includes('.') ? text : `${text}.0`;
}

/** Minimal CSV quoting (Python's QUOTE_MINIMAL): quote fields holding a comma, quote, CR or LF. */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * The session's results.csv as the origin wrote it: UTF-8 without BOM, CRLF line endings, one row per
 * detection (0-based `detection_index`), an image without detections as one row whose last 8 columns
 * are empty, rows in upload order, floats in Python repr.
 */
export function renderResultsCsv(images: readonly SessionImageResult[]): string {
  const lines: string[] = [RESULTS_CSV_COLUMNS.join(',')];
  for (const image of images) {
    const head = [image.image_uuid, image.image_filename, image.model_id, String(image.image_width), String(image.image_height), String(image.detection_count)];
    if (image.detections.length === 0) {
      lines.push([...head, '', '', '', '', '', '', '', ''].map(csvField).join(','));
      continue;
    }
    image.detections.forEach((d, index) => {
      const row = [...head, String(index), String(d.class_id), d.class_name, pythonFloatRepr(d.conf), pythonFloatRepr(d.x1), pythonFloatRepr(d.y1), pythonFloatRepr(d.x2), pythonFloatRepr(d.y2)];
      lines.push(row.map(csvField).join(','));
    });
  }
  return `${lines.join('\r\n')}\r\n`;
}
