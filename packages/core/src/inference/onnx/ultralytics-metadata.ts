import { parseNamesLiteral, parsePythonLiteral, type PythonValue } from './python-literal.js';

const MAX_IMAGE_SIDE = 16_384;

/** The Ultralytics export metadata we use; a key that is missing or malformed is left undefined. */
export interface UltralyticsMetadata {
  names?: string[];
  /** `[height, width]` */
  imgsz?: [number, number];
  stride?: number;
  task?: string;
  end2end?: boolean;
  kptShape?: number[];
}

function literal(text: string | undefined): PythonValue | undefined {
  if (text === undefined) return undefined;
  try {
    return parsePythonLiteral(text);
  } catch {
    return undefined;
  }
}

const isSide = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= MAX_IMAGE_SIDE;

/** `640` → [640, 640]; `[480, 640]` → [480, 640] (height, width, as Ultralytics writes it). */
function imageSize(value: PythonValue | undefined): [number, number] | undefined {
  if (isSide(value)) return [value, value];
  if (!Array.isArray(value)) return undefined;
  const [h, w = h] = value;
  return value.length <= 2 && isSide(h) && isSide(w) ? [h, w] : undefined;
}

/** `32`, or the largest of `[8, 16, 32]`. */
function strideOf(value: PythonValue | undefined): number | undefined {
  const candidates = Array.isArray(value) ? value : [value];
  const strides = candidates.filter(isSide);
  return strides.length > 0 && strides.length === candidates.length ? Math.max(...strides) : undefined;
}

/** `True`/`False` as Python's `str(bool)` writes them (lower case accepted too). */
function booleanOf(text: string | undefined): boolean | undefined {
  const word = text?.trim().toLowerCase();
  return word === 'true' ? true : word === 'false' ? false : undefined;
}

/**
 * Reads the keys Ultralytics writes into `metadata_props` (`names`, `imgsz`, `stride`, `task`,
 * `end2end`, `kpt_shape`) as Python literals; metadata is advisory, so a malformed value is ignored.
 * @see https://docs.ultralytics.com/modes/export/
 */
export function readUltralyticsMetadata(metadata: Readonly<Record<string, string>>): UltralyticsMetadata {
  const get = (key: string): string | undefined => (Object.hasOwn(metadata, key) ? metadata[key] : undefined);
  const out: UltralyticsMetadata = {};
  const names = get('names') === undefined ? undefined : parseNamesLiteral(get('names')!);
  if (names) out.names = names;
  const imgsz = imageSize(literal(get('imgsz')));
  if (imgsz) out.imgsz = imgsz;
  const stride = strideOf(literal(get('stride')));
  if (stride) out.stride = stride;
  const task = get('task')?.trim().replace(/^(['"])(.*)\1$/, '$2');
  if (task) out.task = task;
  const end2end = booleanOf(get('end2end'));
  if (end2end !== undefined) out.end2end = end2end;
  const kpt = literal(get('kpt_shape'));
  if (Array.isArray(kpt) && kpt.length > 0 && kpt.every(isSide)) out.kptShape = kpt;
  return out;
}
