import { afterEach, describe, expect, test } from 'vitest';
import { createJobWorld } from '../../test/support/job-test-kit.js';

const A = '9f1c2b3a4d5e6f708192a3b4c5d6e7f8';

let world: Awaited<ReturnType<typeof createJobWorld>>;
afterEach(async () => world.cleanup());

/** A running external job moved on to attempt 2 (as a claim after a dead worker does), before attempt 2 reported anything. */
async function onAttemptTwo(store: 'memory' | 'sqlite') {
  world = await createJobWorld({ sqlite: store === 'sqlite' });
  const jobs = world.service();
  await jobs.reportStatus(A, { statusType: 2 });
  await world.jobs.update(A, { attempt: 2 });
  return jobs;
}

describe.each(['memory', 'sqlite'] as const)('fencing: an older attempt\'s late reports are ignored (%s stores)', (store) => {
  test('an epoch of attempt 1 stores nothing, even where attempt 2 has no row yet; attempt 2 and unattributed reports do', async () => {
    const jobs = await onAttemptTwo(store);
    expect(await jobs.recordEpoch(A, { epoch: 3, metrics: { loss: 0.9 }, attempt: 1 })).toEqual({ stored: false, attempt: 1, superseded: 2 });
    expect(await world.metrics.listEpochs(A)).toEqual([]);
    expect(await jobs.recordEpoch(A, { epoch: 3, metrics: { loss: 0.7 }, attempt: 2 })).toEqual({ stored: true, attempt: 2 });
    expect(await jobs.recordEpoch(A, { epoch: 3, metrics: { loss: 0.8 }, attempt: 1 })).toMatchObject({ stored: false });
    expect(await jobs.recordEpoch(A, { epoch: 4, metrics: { loss: 0.6 } })).toEqual({ stored: true, attempt: 2 });
    expect((await world.metrics.listEpochs(A)).map((e) => [e.epoch, e.attempt, e.metrics.loss])).toEqual([[3, 2, 0.7], [4, 2, 0.6]]);
  });

  test('steps of attempt 1 store no row and leave the progress alone', async () => {
    const jobs = await onAttemptTwo(store);
    const progress = { percentage: 50, current_steps: 60, total_steps: 120 };
    expect(await jobs.recordSteps(A, { rows: [{ step: 60, values: { loss: 1.5 } }], progress, attempt: 1 })).toEqual({ stored: 0, attempt: 1, superseded: 2 });
    expect(await world.metrics.listSteps(A)).toEqual([]);
    expect((await jobs.get(A)).progress).toBeUndefined();
    expect(await jobs.recordSteps(A, { rows: [{ step: 10, values: { loss: 2 } }], attempt: 2 })).toEqual({ stored: 1, attempt: 2 });
  });

  test('a status of attempt 1 (the killed worker saying failed) does not move the job', async () => {
    const jobs = await onAttemptTwo(store);
    expect(await jobs.reportStatus(A, { statusType: 4, message: 'killed', attempt: 1 })).toMatchObject({ changed: false, status: 'running', note: expect.stringMatching(/^ignored: report from attempt 1/) });
    expect(await jobs.reportStatus(A, { statusType: 3, attempt: 2 })).toMatchObject({ changed: true, status: 'completed' });
  });
});
