import { ValidationError } from '../../errors.js';
import { entryLabel } from './zip-errors.js';
import { DEFAULT_ZIP_LIMITS, type ZipLimits } from './zip-limits.js';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** `%2e` `.`, `%2f` `/`, `%5c` `\`, `%00` NUL and `%25` (double encoding): never decoded, but never innocent either. */
const ENCODED_PATH_CHAR = /%(?:2e|2f|5c|00|25)/i;
const DRIVE_LETTER = /^[A-Za-z]:/;
const NON_ASCII = /[^\u0000-\u007f]/gu;
/** ASCII characters that give a path its structure; a look-alike that NFKC-normalises to one is refused. */
const PATH_CHARS = /[./\\:]/;

function reject(name: string, problem: string): never {
  throw new ValidationError(`${entryLabel(name)} ${problem}`, { reason: 'unsafe_path', details: { entry: name } });
}

function codePoint(ch: string): string {
  return `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

function checkLookalikes(name: string): void {
  for (const [ch] of name.matchAll(NON_ASCII)) {
    if (PATH_CHARS.test(ch.normalize('NFKC'))) {
      reject(name, `contains "${ch}" (${codePoint(ch)}), which normalises to a path character`);
    }
  }
}

function checkSegments(name: string, maxDepth: number): void {
  const segments = name.split('/');
  if (name.endsWith('/')) segments.pop(); // a directory entry ends with exactly one slash
  if (segments.length > maxDepth) reject(name, `is nested ${segments.length} levels deep (limit ${maxDepth})`);
  for (const segment of segments) {
    if (segment === '') reject(name, 'has an empty path segment ("//")');
    if (segment === '..') reject(name, 'escapes the dataset folder (".." segment)');
    if (segment === '.') reject(name, 'has a "." path segment');
    if (segment.endsWith('.') || segment.endsWith(' ')) {
      reject(name, 'has a path segment ending in a dot or space (Windows drops them)');
    }
  }
}

/**
 * Throws ValidationError (reason 'unsafe_path') unless `name` is a safe relative ZIP entry name.
 *
 * The name is judged as written: it is never URL-decoded or Unicode-normalised into something else, and
 * anything that could turn into traversal under some decoder (`%2e%2e`, `．．／`, `\`, `C:`) is refused.
 * @example checkEntryName('images/train/a.jpg'); // ok
 */
export function checkEntryName(name: string, limits: Pick<ZipLimits, 'maxNameLength' | 'maxDepth'> = DEFAULT_ZIP_LIMITS): void {
  if (typeof name !== 'string' || name.length === 0) reject(String(name), 'has an empty name');
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > limits.maxNameLength) reject(name, `has a ${bytes}-byte name (limit ${limits.maxNameLength} bytes)`);
  if (CONTROL.test(name)) reject(name, 'contains a control character (NUL, newline, …)');
  if (name.includes('\\')) reject(name, 'contains a backslash, which Windows treats as a folder separator');
  if (name.startsWith('/') || DRIVE_LETTER.test(name)) reject(name, 'is an absolute path');
  if (ENCODED_PATH_CHAR.test(name)) reject(name, 'contains a percent-encoded path character (%2e, %2f, %5c, %00 or %25)');
  checkLookalikes(name);
  checkSegments(name, limits.maxDepth);
}
