import { afterEach, describe, expect, test } from 'vitest';
import { CoreError, InvalidStateError, NotFoundError, ValidationError } from '../errors.js';
import { createJobNotify } from './job-notify.js';
import { createJobWorld, waitForPid } from '../../test/support/job-test-kit.js';

const A = '9f1c2b3a4d5e6f708192a3b4c5d6e7f8';
const B = '0123456789abcdef0123456789abcdef';

let world: Awaited<ReturnType<typeof createJobWorld>>;
afterEach(async () => {
  await world.cleanup();
});

describe.each([{ store: 'memory' }, { store: 'sqlite' }])('job notify: external jobs ($store stores)', ({ store }) => {
  const open = async () => {
    world = await createJobWorld({ sqlite: store === 'sqlite' });
    return world.service();
  };

  test('statusType 1 for an unknown caller id registers a queued external job that nothing starts here', async () => {
    const jobs = await open();
    expect(await jobs.reportStatus(A, { statusType: 1 })).toEqual({ changed: true, status: 'queued', note: 'registered as an external job (queued)', registered: true });
    const local = await jobs.create({ dataset_id: 'ds_1', epochs: 1 });
    await waitForPid(jobs, local.job_id);
    expect(await jobs.get(A)).toStrictEqual({
      job_id: A, external: true, status: 'queued', created_at: expect.any(String), queued_at: expect.any(String),
      dataset_id: 'external', version: 'external', model_name: 'external', base_model_id: null, original_model_path: '',
      epochs: 0, imgsz: 0, batch: 0, log_file: '', run_dir: '', attempt: 1, command: [],
    });
    expect(world.processesOf(A)).toEqual([]);
    expect(await jobs.reportStatus(A, { statusType: 1 })).toMatchObject({ changed: false, note: 'job is already queued' });
    expect((await jobs.list()).map((j) => j.job_id).sort()).toEqual([A, local.job_id].sort());
  });

  test('follows the caller 2 → epochs (fractions, one twice) → 3 → 3 again; the watchdog never calls it crashed', async () => {
    const jobs = await open();
    await jobs.reportStatus(A, { statusType: 1 });
    expect(await jobs.reportStatus(A, { statusType: 2 })).toMatchObject({ changed: true, status: 'running' });
    await jobs.checkAlive();
    for (const epoch of [1, 2, 2, 3]) {
      expect(await jobs.recordEpoch(A, { epoch, metrics: { accuracy: 0.5 + epoch / 10, loss: 1 / epoch, valAccuracy: 0.61, valLoss: 0.9, f1Score: 0.55 } })).toEqual({ stored: true, attempt: 1 });
    }
    await jobs.checkAlive();
    expect(await jobs.get(A)).toMatchObject({ status: 'running', epochs: 3, started_at: expect.any(String) });
    expect(await jobs.reportStatus(A, { statusType: 3 })).toMatchObject({ changed: true, status: 'completed' });
    expect(await jobs.reportStatus(A, { statusType: 3 })).toEqual({ changed: false, status: 'completed', note: 'job is already completed' });
    await jobs.recoverOnStart();
    const done = await jobs.get(A);
    expect(done).toMatchObject({ status: 'completed', completed_at: expect.any(String), finished_at: expect.any(String), epochs: 3 });
    expect(done.crashed).toBeUndefined();
    const rows = await world.metrics.listEpochs(A);
    expect(rows.map((r) => r.epoch)).toEqual([1, 2, 3]);
    expect(rows[1]!.metrics).toEqual({ accuracy: 0.7, loss: 0.5, val_accuracy: 0.61, val_loss: 0.9, f1: 0.55 });
  });

  test('any first report registers: an epoch (the job is then running), a 4 with an empty message, a 3 whose 2 was lost', async () => {
    const jobs = await open();
    expect(await jobs.recordEpoch(A, { epoch: 1, metrics: { accuracy: 62.5 } })).toEqual({ stored: true, attempt: 1, registered: true });
    expect(await jobs.get(A)).toMatchObject({ external: true, status: 'running', epochs: 1 });
    expect((await world.metrics.listEpochs(A))[0]!.metrics).toEqual({ accuracy: 0.625 });
    expect(await jobs.reportStatus(B, { statusType: 4, message: '  ' })).toMatchObject({ changed: true, status: 'failed', registered: true });
    expect(await jobs.get(B)).toMatchObject({ external: true, status: 'failed', error: 'the trainer reported a failure without a message' });
    const C = 'c'.repeat(32);
    expect(await jobs.reportStatus(C, { statusType: 3 })).toMatchObject({ changed: true, status: 'completed', note: 'registered as an external job; job is now completed' });
    expect(await jobs.get(C)).toMatchObject({ started_at: expect.any(String), completed_at: expect.any(String) });
    const D = 'd'.repeat(32);
    await jobs.reportStatus(D, { statusType: 5, message: 'Training stopped before execution' });
    expect(await jobs.get(D)).toMatchObject({ status: 'stopped', error: 'Training stopped before execution' });
    expect(await jobs.reportStatus(D, { statusType: 2 })).toMatchObject({ changed: false, note: 'ignored: cannot move job from "stopped" to "running"' });
  });

  test('ids of any other shape stay unknown; an existing id, ours or not, is always the existing job', async () => {
    const jobs = await open();
    for (const id of ['job_20240115_120000_0a1b2c3d', A.toUpperCase(), A.slice(1), `${A}0`, `${A.slice(0, 8)}-${A.slice(8)}`, '42', '../../etc']) {
      await expect(jobs.reportStatus(id, { statusType: 1 })).rejects.toThrow(NotFoundError);
      await expect(jobs.recordEpoch(id, { epoch: 1, metrics: { loss: 1 } })).rejects.toThrow(/not a caller's own task id \(32 lowercase hex digits/);
    }
    const local = await jobs.create({ dataset_id: 'ds_1', epochs: 1 });
    await jobs.reportStatus(local.job_id, { statusType: 1 });
    expect((await jobs.get(local.job_id)).external).toBeUndefined();
    expect(await jobs.list()).toHaveLength(1);
  });

  test('bad input registers nothing', async () => {
    const jobs = await open();
    await expect(jobs.recordEpoch(A, { epoch: -1, metrics: { loss: 1 } })).rejects.toThrow(ValidationError);
    await expect(jobs.recordEpoch(A, { epoch: 1, metrics: Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`m${i}`, 1])) })).rejects.toThrow(/too many metrics/);
    await expect(jobs.reportStatus(A, { statusType: 7 })).rejects.toThrow(ValidationError);
    expect(await jobs.list()).toEqual([]);
  });

  test('20 first reports at once register one job', async () => {
    const jobs = await open();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) =>
      i % 2 ? jobs.reportStatus(A, { statusType: 1 }) : jobs.recordEpoch(A, { epoch: i + 1, metrics: { loss: 1 } })));
    expect(results.filter((r) => r.registered === true)).toHaveLength(1);
    expect((await jobs.list()).map((j) => j.job_id)).toEqual([A]);
    expect(await world.metrics.listEpochs(A)).toHaveLength(10);
    expect(await jobs.get(A)).toMatchObject({ status: 'running', epochs: 19 });
  });

  test('stop, resume and extend are refused as run by the caller; delete removes the record and its metrics', async () => {
    const jobs = await open();
    await jobs.reportStatus(A, { statusType: 2 });
    await jobs.recordEpoch(A, { epoch: 1, metrics: { loss: 1 } });
    for (const action of [() => jobs.stop(A), () => jobs.resume(A), () => jobs.extend(A, 5)]) {
      const error = await action().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidStateError);
      expect(error).toMatchObject({ reason: 'external_job', message: expect.stringMatching(/is run by its caller/) });
    }
    await jobs.reportStatus(A, { statusType: 4, message: 'CUDA out of memory' });
    await expect(jobs.resume(A)).rejects.toMatchObject({ reason: 'external_job' });
    await jobs.delete(A);
    await expect(jobs.get(A)).rejects.toThrow(NotFoundError);
    expect(await world.metrics.listEpochs(A)).toEqual([]);
    await jobs.reportStatus(B, { statusType: 2 });
    await jobs.delete(B);
    expect(await jobs.list()).toEqual([]);
  });

  test('registerExternal registers a caller id before its first report; a known id is returned unchanged; other ids are refused', async () => {
    const jobs = await open();
    const first = await jobs.registerExternal(A);
    expect(first).toMatchObject({ registered: true, job: { job_id: A, external: true, status: 'queued' } });
    await jobs.reportStatus(A, { statusType: 2 });
    expect(await jobs.registerExternal(A)).toMatchObject({ registered: false, job: { job_id: A, status: 'running' } });
    for (const bad of ['job_1', A.toUpperCase(), `${A}0`, '']) {
      await expect(jobs.registerExternal(bad)).rejects.toMatchObject({ reason: 'invalid_task_id' });
    }
    expect((await jobs.list()).map((j) => j.job_id)).toEqual([A]);
  });

  test('at most maxExternalJobs external jobs are kept; deleting one makes room', async () => {
    world = await createJobWorld({ sqlite: store === 'sqlite' });
    const notify = createJobNotify({ jobs: world.jobs, metrics: world.metrics, clock: world.clock, maxExternalJobs: 2 });
    await notify.reportStatus(A, { statusType: 1 });
    await notify.recordEpoch(B, { epoch: 1, metrics: { loss: 1 } });
    const refused = await notify.reportStatus('e'.repeat(32), { statusType: 1 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CoreError);
    expect(refused).toMatchObject({ code: 'CONFLICT', reason: 'external_job_limit', message: expect.stringMatching(/already keeps 2 external jobs \(at most 2\)/) });
    expect(await notify.reportStatus(A, { statusType: 2 })).toMatchObject({ changed: true });
    await world.jobs.delete(A);
    expect(await notify.reportStatus('e'.repeat(32), { statusType: 1 })).toMatchObject({ registered: true });
    expect(() => createJobNotify({ jobs: world.jobs, metrics: world.metrics, clock: world.clock, maxExternalJobs: -1 })).toThrow(/maxExternalJobs/);
  });
});
