import { describe, expect, test } from 'vitest';
import { backoffDelay, MAX_RETRY_AFTER_MS, parseRetryAfter } from './backoff.js';

describe('backoffDelay', () => {
  const options = { baseMs: 500, capMs: 30_000 };
  test.each([
    { failures: 1, random: 0.999999, want: 499 },
    { failures: 3, random: 0.5, want: 1000 },
    { failures: 7, random: 0.999999, want: 29_999 },
    { failures: 1000, random: 0.999999, want: 29_999 },
    { failures: 5, random: 0, want: 0 },
  ])('failure $failures with random $random waits $want ms (full jitter under the cap)', ({ failures, random, want }) => {
    expect(backoffDelay(failures, options, () => random)).toBe(want);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  test.each([
    { given: '3', want: 3000 },
    { given: ['2', '9'], want: 2000 },
    { given: 'Wed, 01 Jan 2025 00:00:05 GMT', want: 5000 },
    { given: 'Tue, 31 Dec 2024 23:59:00 GMT', want: 0 },
    { given: '999999', want: MAX_RETRY_AFTER_MS },
    { given: 'soon', want: undefined },
    { given: '', want: undefined },
    { given: undefined, want: undefined },
  ])('$given → $want', ({ given, want }) => {
    expect(parseRetryAfter(given, now)).toBe(want);
  });
});
