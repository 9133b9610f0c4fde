import { ValidationError } from '../errors.js';

const BAD_SEGMENT = /[\\\u0000-\u001f]|^\.{1,2}$|^$/;

/**
 * Checks a blob key and returns its segments; throws `ValidationError` for anything that could
 * address a location outside the store (`..`, absolute paths, backslashes, control characters).
 */
export function parseBlobKey(key: string): string[] {
  if (typeof key !== 'string' || key.length === 0 || key.length > 4096) {
    throw new ValidationError(`invalid storage key: ${JSON.stringify(key)}`, { reason: 'unsafe_path' });
  }
  if (key.startsWith('/') || /^[A-Za-z]:/.test(key)) {
    throw new ValidationError(`storage key must be relative: ${JSON.stringify(key)}`, { reason: 'unsafe_path' });
  }
  const segments = key.split('/');
  for (const segment of segments) {
    if (BAD_SEGMENT.test(segment)) {
      throw new ValidationError(`unsafe storage key: ${JSON.stringify(key)}`, { reason: 'unsafe_path' });
    }
  }
  return segments;
}

export const joinKey = (...parts: string[]): string => parts.filter((p) => p.length > 0).join('/');
