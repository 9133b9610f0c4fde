import { describe, expect, test } from 'vitest';
import { createFingerprintSet } from './fingerprint-set.js';

describe('createFingerprintSet', () => {
  test('adds new content once and refuses a repeat', () => {
    const seen = createFingerprintSet();
    expect(seen.add('{"instruction":"a"}')).toBe(true);
    expect(seen.add('{"instruction":"b"}')).toBe(true);
    expect(seen.add('{"instruction":"a"}')).toBe(false);
    expect(seen.add('')).toBe(true);
    expect(seen.add('')).toBe(false);
    expect(seen.size).toBe(3);
  });

  test('keeps every entry while its table grows from 16 slots past 100 000 entries', () => {
    const seen = createFingerprintSet(16);
    for (let i = 0; i < 100_000; i++) expect(seen.add(`record ${i}`)).toBe(true);
    for (let i = 0; i < 100_000; i += 997) expect(seen.add(`record ${i}`)).toBe(false);
    expect(seen.add('record 100000')).toBe(true);
    expect(seen.size).toBe(100_001);
  });
});
