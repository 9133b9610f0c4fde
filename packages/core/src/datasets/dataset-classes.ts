import YAML from 'yaml';
import { ValidationError } from '../errors.js';

const MAX_CLASSES = 10_000;
const MAX_NAME_LENGTH = 1_000;

function cleanName(value: unknown, index: number, source: string): string {
  const name = typeof value === 'number' ? String(value) : value;
  if (typeof name !== 'string' || name.trim() === '' || name.length > MAX_NAME_LENGTH) {
    throw new ValidationError(`class ${index} in ${source} must be a non-empty name of at most ${MAX_NAME_LENGTH} characters`, {
      reason: 'invalid_classes',
    });
  }
  return name.trim();
}

function namesFromMap(map: Map<unknown, unknown>, source: string): string[] {
  const names: string[] = [];
  for (const [key, value] of map) {
    const index = typeof key === 'number' ? key : Number(key);
    if (!Number.isInteger(index) || index < 0 || index >= MAX_CLASSES) {
      throw new ValidationError(`names in ${source} has key ${JSON.stringify(String(key))}; keys must be class ids 0…${MAX_CLASSES - 1}`, {
        reason: 'invalid_classes',
      });
    }
    names[index] = cleanName(value, index, source);
  }
  return Array.from(names, (n, i) => n ?? `class_${i}`);
}

/**
 * Reads `names` from a data.yaml/dataset.yaml, as a list or an `{id: name}` map;
 * undefined when the file has no names. Parsed into Maps, so hostile keys stay inert.
 * @see https://docs.ultralytics.com/datasets/detect/#ultralytics-yolo-format
 */
export function parseYamlClassNames(text: string, source: string): string[] | undefined {
  const doc = YAML.parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ValidationError(`${source} is not valid YAML: ${doc.errors[0]?.message ?? 'parse error'}`, { reason: 'invalid_yaml' });
  }
  const root: unknown = doc.toJS({ mapAsMap: true, maxAliasCount: 100 });
  if (!(root instanceof Map)) return undefined;
  const names: unknown = root.get('names');
  if (Array.isArray(names)) {
    if (names.length > MAX_CLASSES) throw new ValidationError(`${source} lists more than ${MAX_CLASSES} classes`, { reason: 'invalid_classes' });
    return names.map((n, i) => cleanName(n, i, source));
  }
  if (names instanceof Map) return namesFromMap(names, source);
  return undefined;
}

/** Reads a darknet `classes.txt` / `obj.names`: one name per non-empty line. */
export function parseClassesTxt(text: string, source: string): string[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/).map((l) => l.trim()).filter((l) => l !== '');
  if (lines.length > MAX_CLASSES) throw new ValidationError(`${source} lists more than ${MAX_CLASSES} classes`, { reason: 'invalid_classes' });
  return lines.map((n, i) => cleanName(n, i, source));
}

/** Checks class names given by a caller (`classes` of a request). */
export function validateClassNames(classes: readonly unknown[], source = 'classes'): string[] {
  if (classes.length > MAX_CLASSES) throw new ValidationError(`${source} has more than ${MAX_CLASSES} entries`, { reason: 'invalid_classes' });
  const names = classes.map((n, i) => cleanName(n, i, source));
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new ValidationError(`${source} names "${n}" twice`, { reason: 'invalid_classes' });
    seen.add(n);
  }
  return names;
}

/** `class_0 … class_<maxId>` for datasets whose labels carry ids but no names. */
export const derivedClassNames = (maxClassId: number): string[] =>
  Array.from({ length: maxClassId + 1 }, (_, i) => `class_${i}`);
