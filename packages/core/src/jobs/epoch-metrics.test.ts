import { describe, expect, test } from 'vitest';
import { ValidationError } from '../errors.js';
import { EPOCH_LIMITS, normalizeEpochMetrics } from './epoch-metrics.js';

const meta = { attempt: 1, recorded_at: '2024-01-15T12:00:00.000Z' };

describe('normalizeEpochMetrics', () => {
  test.each<{ given: Record<string, number | null>; want: unknown }>([
    { given: { loss: 0.5, map: null }, want: { metrics: { loss: 0.5, map: null }, nonFinite: [] } },
    { given: { loss: Number.NaN, map: 0.1 }, want: { metrics: { loss: null, map: 0.1 }, nonFinite: ['loss'] } },
    { given: { a: Infinity, b: -Infinity }, want: { metrics: { a: null, b: null }, nonFinite: ['a', 'b'] } },
    { given: {}, want: { metrics: {}, nonFinite: [] } },
  ])('keeps $given as $want', ({ given, want }) => {
    expect(normalizeEpochMetrics(3, given, meta)).toStrictEqual(want);
  });

  test.each([
    { epoch: -1, metrics: {}, reason: 'invalid_epoch' },
    { epoch: 1.5, metrics: {}, reason: 'invalid_epoch' },
    { epoch: 1e12, metrics: {}, reason: 'invalid_epoch' },
    { epoch: 1, metrics: { loss: '0.5' }, reason: 'invalid_metric_value' },
    { epoch: 1, metrics: { '': 1 }, reason: 'invalid_metric_name' },
    { epoch: 1, metrics: { ['x'.repeat(EPOCH_LIMITS.maxNameLength + 1)]: 1 }, reason: 'invalid_metric_name' },
    { epoch: 1, metrics: JSON.parse('{"__proto__": 1}') as Record<string, number>, reason: 'invalid_metric_name' },
    { epoch: 1, metrics: Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`m${i}`, i])), reason: 'too_many_metrics' },
  ])('rejects epoch $epoch with $reason', ({ epoch, metrics, reason }) => {
    expect(() => normalizeEpochMetrics(epoch, metrics as Record<string, number>, meta)).toThrow(expect.objectContaining({ reason }));
    expect(() => normalizeEpochMetrics(epoch, metrics as Record<string, number>, meta)).toThrow(ValidationError);
  });

  test('rejects an attempt below 1', () => {
    expect(() => normalizeEpochMetrics(1, {}, { ...meta, attempt: 0 })).toThrow(expect.objectContaining({ reason: 'invalid_attempt' }));
  });
});
