import { describe, expect, test } from 'vitest';
import { datasetStatusOf, formatSizeShort, formatSizeWithUnit, taskStatusOfDataset, taskStatusOfJob, trainingProgress } from './seed002-format.js';

describe('taskStatusOfJob', () => {
  test.each([
    ['queued', 'pending'], ['running', 'running'], ['completed', 'completed'], ['failed', 'failed'], ['crashed', 'failed'], ['stopped', 'failed'],
  ] as const)('%s → %s', (given, want) => expect(taskStatusOfJob(given)).toBe(want));
});

describe('datasetStatusOf / taskStatusOfDataset', () => {
  test.each([
    [undefined, 'pending'],
    [{ status: 'uploaded' }, 'pending'],
    [{ status: 'uploaded', error: 'no images' }, 'failed'],
    [{ status: 'preparing' }, 'processing'],
    [{ status: 'prepared' }, 'ready'],
    [{ status: 'prepared', error: 'an older failure' }, 'ready'],
  ] as const)('%o → %s', (given, want) => expect(datasetStatusOf(given)).toBe(want));

  test.each([
    [{ status: 'uploaded' }, 'pending'], [{ status: 'preparing' }, 'running'], [{ status: 'prepared' }, 'completed'], [{ status: 'uploaded', error: 'x' }, 'failed'],
  ] as const)('task of %o → %s', (given, want) => expect(taskStatusOfDataset(given)).toBe(want));
});

describe('trainingProgress', () => {
  test.each([
    [{ status: 'running', epochsStored: 0, epochsPlanned: 10 }, 0],
    [{ status: 'running', epochsStored: 1, epochsPlanned: 3 }, 33.3],
    [{ status: 'running', epochsStored: 2, epochsPlanned: 3 }, 66.7],
    [{ status: 'stopped', epochsStored: 5, epochsPlanned: 10 }, 50],
    [{ status: 'running', epochsStored: 12, epochsPlanned: 10 }, 100],
    [{ status: 'completed', epochsStored: 7, epochsPlanned: 10 }, 100],
    [{ status: 'queued', epochsStored: 0, epochsPlanned: 0 }, 0],
  ] as const)('%o → %s', (given, want) => expect(trainingProgress(given)).toBe(want));
});

describe('sizes', () => {
  test.each([
    [0, '0.00 B', '0B'], [1023, '1023.00 B', '1023B'], [1024, '1.00 KB', '1KB'], [52_428_800, '50.00 MB', '50MB'],
    [6_501_171, '6.20 MB', '6.2MB'], [14 * 1024 ** 3, '14.00 GB', '14GB'], [3 * 1024 ** 4, '3.00 TB', '3TB'],
  ])('%i bytes → %s / %s', (bytes, long, short) => {
    expect(formatSizeWithUnit(bytes)).toBe(long);
    expect(formatSizeShort(bytes)).toBe(short);
  });
});
