import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { createExecaTrainingExecutor } from '../adapters/execa/execa-training-executor.js';
import { InvalidStateError } from '../errors.js';
import { createJobWorld, SCRIPTED_COMMAND, waitFor, waitForPid, waitForStatus } from '../../test/support/job-test-kit.js';
import type { Job } from './job.schema.js';

let world: Awaited<ReturnType<typeof createJobWorld>>;
afterEach(async () => {
  await world.cleanup();
});

/** A job record as a previous server process would have left it. */
const leftover = (id: string, overrides: Partial<Job>): Job => ({
  job_id: id, dataset_id: 'ds_1', version: 'v1', model_name: 'yolov8n.pt', base_model_id: null, original_model_path: 'yolov8n.pt',
  epochs: 4, imgsz: 640, batch: -1, status: 'running', created_at: `2024-01-01T00:00:0${id.length % 10}.000Z`,
  log_file: path.join(world.dir, 'jobs', `${id}.log`), run_dir: path.join(world.dir, 'jobs', id, 'train'), attempt: 1, command: [], ...overrides,
});

/** Starts the scripted trainer for `jobId` outside any job service, as if an earlier server had started it. */
async function orphanTrainer(jobId: string, epochMs = '100') {
  const data = path.join(world.dir, 'datasets/ds_1/v1/data.yaml');
  const argv = SCRIPTED_COMMAND.train.map((a) => a.replace('{data}', data).replace('{model}', 'yolov8n.pt').replace('{epochs}', '4')
    .replace('{imgsz}', '640').replace('{batch}', '-1').replace('{project}', path.join(world.dir, 'jobs', jobId)).replace('{name}', 'train'));
  const spec = { jobId, argv, cwd: path.join(world.dir, 'jobs', jobId), logFile: path.join(world.dir, 'jobs', `${jobId}.log`) };
  const { pid } = await createExecaTrainingExecutor().start({ ...spec, env: { SCRIPTED_TRAINER_EPOCH_MS: epochMs, YOLOOPS_TEST_WORLD: world.dir } });
  return pid;
}

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  return child.pid ?? 0;
}

describe.each([{ store: 'memory' }, { store: 'sqlite' }])('job service races ($store stores)', ({ store }) => {
  test('50 concurrent stop/resume calls end in one consistent state, never two trainers at once', async () => {
    world = await createJobWorld({ sqlite: store === 'sqlite' });
    const jobs = world.service({ env: { SCRIPTED_TRAINER_EPOCH_MS: '150' }, stopGraceMs: 3000 });
    const job = await jobs.create({ dataset_id: 'ds_1', epochs: 100 });
    const running = await waitForPid(jobs, job.job_id);
    await waitFor('a checkpoint', () => existsSync(path.join(running.run_dir, 'weights/last.pt')));
    let most = 0;
    const sampler = setInterval(() => (most = Math.max(most, world.processesOf(job.job_id).length)), 5);
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, async (_, i) => {
        await new Promise((resolve) => setTimeout(resolve, (i * 7) % 120));
        return i % 2 === 0 ? jobs.stop(job.job_id) : jobs.resume(job.job_id);
      }),
    );
    const final = await waitFor('a settled state', async () => {
      const j = await jobs.get(job.job_id);
      return j.status === 'queued' || (j.status === 'running' && j.pid === undefined) ? undefined : j;
    });
    clearInterval(sampler);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(InvalidStateError);
    const resumes = results.filter((r, i) => i % 2 === 1 && r.status === 'fulfilled').length;
    expect(results.some((r, i) => i % 2 === 0 && r.status === 'fulfilled')).toBe(true);
    expect(final.attempt).toBe(1 + resumes);
    expect(most).toBe(1);
    expect(['stopped', 'running']).toContain(final.status);
    const want = final.status === 'running' ? [final.pid] : [];
    expect(await waitFor('processes to match the state', () => JSON.stringify(world.processesOf(job.job_id)) === JSON.stringify(want))).toBe(true);
    if (final.status === 'stopped') await jobs.resume(job.job_id);
    await waitForPid(jobs, job.job_id);
    expect((await jobs.stop(job.job_id)).status).toBe('stopped');
    expect(world.processesOf(job.job_id)).toEqual([]);
  });
});

describe('job service recovery', () => {
  test('recoverOnStart: dead pid or none → crashed; a live trainer is adopted, stoppable, and watched until it vanishes', async () => {
    world = await createJobWorld();
    const [livePid, killedPid, stoppingPid] = [await orphanTrainer('job_live'), await orphanTrainer('job_killed'), await orphanTrainer('job_stopping', '5000')];
    await world.jobs.create(leftover('job_dead', { pid: await deadPid() }));
    await world.jobs.create(leftover('job_nopid', { command: ['yolo', 'detect', 'train'] }));
    await world.jobs.create(leftover('job_reported', {}));
    await world.jobs.create(leftover('0123456789abcdef0123456789abcdef', { external: true, log_file: '', run_dir: '' }));
    await world.jobs.create(leftover('job_live', { pid: livePid }));
    await world.jobs.create(leftover('job_killed', { pid: killedPid }));
    await world.jobs.create(leftover('job_stopping', { pid: stoppingPid, status: 'stopped' }));
    await world.jobs.create(leftover('job_waiting', { status: 'queued', epochs: 1 }));
    const jobs = world.service();
    await jobs.recoverOnStart();

    expect(await jobs.get('job_dead')).toMatchObject({ status: 'crashed', crashed: true, crashed_at: expect.any(String), error: expect.stringMatching(/ended while the server was not watching/) });
    expect(await jobs.get('job_nopid')).toMatchObject({ status: 'crashed', error: expect.stringMatching(/no process id was recorded/) });
    // reported running by a seed-004 caller before we started anything (no pid, no command), and an external
    // job: both are their caller's to end, not ours to declare crashed
    expect((await jobs.get('job_reported')).status).toBe('running');
    expect((await jobs.get('0123456789abcdef0123456789abcdef')).status).toBe('running');
    expect(world.processesOf('job_stopping')).toEqual([]);
    expect((await jobs.get('job_live')).status).toBe('running');
    expect((await jobs.get('job_waiting')).status).toBe('queued');

    const stopped = await jobs.stop('job_live');
    expect(stopped.status).toBe('stopped');
    expect(world.processesOf('job_live')).toEqual([]);

    const stopWatchdog = jobs.startWatchdog(20);
    await waitFor('a checkpoint', () => existsSync(path.join(world.dir, 'jobs/job_killed/train/weights/last.pt')));
    process.kill(-killedPid, 'SIGKILL');
    expect((await waitForStatus(jobs, 'job_killed', 'crashed')).error).toMatch(/pid \d+\) ended while the server was not watching/);
    stopWatchdog();
    await waitForStatus(jobs, 'job_waiting', 'completed');
    await jobs.resume('job_killed');
    expect((await waitForStatus(jobs, 'job_killed', 'completed')).attempt).toBe(2);
  });

  test('a trainer killed with SIGKILL is `failed` with the signal recorded', async () => {
    world = await createJobWorld();
    const jobs = world.service();
    const job = await jobs.create({ dataset_id: 'ds_1', epochs: 50 });
    const running = await waitForPid(jobs, job.job_id);
    process.kill(running.pid, 'SIGKILL');
    const failed = await waitForStatus(jobs, job.job_id, 'failed');
    expect(failed).toMatchObject({ signal: 'SIGKILL', error: expect.stringMatching(/^trainer was killed by SIGKILL/) });
    expect(failed.exit_code).toBeUndefined();
  });

  test('a stop that lands while the trainer is being spawned still leaves no process', async () => {
    world = await createJobWorld();
    const jobs = world.service({ concurrency: 4 });
    const created = await Promise.all(Array.from({ length: 8 }, () => jobs.create({ dataset_id: 'ds_1', epochs: 50 })));
    await Promise.all(created.map(async (job, i) => {
      await new Promise((resolve) => setTimeout(resolve, i * 3));
      expect((await jobs.stop(job.job_id)).status).toBe('stopped');
    }));
    await waitFor('every trainer to be gone', () => world.processesOf().length === 0);
    for (const job of await jobs.list()) expect(job.status).toBe('stopped');
  });
});
