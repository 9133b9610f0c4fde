import { describe, expect, test } from 'vitest';
import { ValidationError } from '../../errors.js';
import { DEFAULT_ZIP_LIMITS, resolveZipLimits } from './zip-limits.js';

describe('resolveZipLimits', () => {
  test('fills in the documented defaults', () => {
    expect(resolveZipLimits()).toEqual({
      maxEntries: 100_000, maxEntryBytes: 4 * 1024 ** 3, maxTotalBytes: 64 * 1024 ** 3, maxRatio: 200, maxNameLength: 1024, maxDepth: 32,
    });
    expect(resolveZipLimits({ maxEntries: 5, maxRatio: undefined })).toEqual({ ...DEFAULT_ZIP_LIMITS, maxEntries: 5 });
  });

  test.each([0, -1, Number.NaN])('rejects %s as a limit', (value) => {
    expect(() => resolveZipLimits({ maxEntries: value })).toThrow(ValidationError);
  });
});
