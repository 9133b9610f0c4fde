import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { InvalidStateError, NotFoundError, UnsupportedError, ValidationError } from '../errors.js';
import { createJobWorld, pidAlive, processesWith, readText, SCRIPTED_COMMAND, waitFor, waitForPid, waitForStatus } from '../../test/support/job-test-kit.js';

const HEADER = 'epoch,time,train/box_loss,train/cls_loss,train/dfl_loss,metrics/precision(B),metrics/recall(B),metrics/mAP50(B),metrics/mAP50-95(B),val/box_loss,val/cls_loss,val/dfl_loss,lr/pg0,lr/pg1,lr/pg2';
const csvEpochs = (runDir: string) => readText(path.join(runDir, 'results.csv')).trim().split('\n').slice(1).map((line) => Number(line.split(',')[0]));
const lastPtEpoch = (runDir: string) => (JSON.parse(readText(path.join(runDir, 'weights/last.pt')) || '{"epoch":0}') as { epoch: number }).epoch;

let world: Awaited<ReturnType<typeof createJobWorld>>;
beforeEach(async () => {
  world = await createJobWorld();
});
afterEach(async () => {
  await world.cleanup();
});

describe('job service: create and run', () => {
  test('create → queued → running (pid, command) → completed, with an Ultralytics 8.3 results.csv and weights', async () => {
    const jobs = world.service();
    const created = await jobs.create({ dataset_id: 'ds_1', epochs: 3, batch: 16 });
    expect(created).toMatchObject({ status: 'queued', attempt: 1, command: [], model_name: 'yolov8n.pt', original_model_path: 'yolov8n.pt', base_model_id: null, version: 'v1', imgsz: 640 });
    expect(created.job_id).toMatch(/^job_20240115_120000_[0-9a-f]{8}$/);
    const running = await waitForPid(jobs, created.job_id);
    expect(running.started_at).toBeDefined();
    expect(running.command).toEqual([process.execPath, SCRIPTED_COMMAND.train[1], 'detect', 'train', `data=${path.join(world.dir, 'datasets/ds_1/v1/data.yaml')}`,
      'model=yolov8n.pt', 'epochs=3', 'imgsz=640', 'batch=16', `project=${path.join(world.dir, 'jobs', created.job_id)}`, 'name=train', 'exist_ok=True']);
    const done = await waitForStatus(jobs, created.job_id, 'completed');
    expect(done).toMatchObject({ exit_code: 0, run_dir: path.join(world.dir, 'jobs', created.job_id, 'train'), log_file: path.join(world.dir, 'jobs', `${created.job_id}.log`) });
    expect(done.completed_at).toBeDefined();
    expect(readText(path.join(done.run_dir, 'results.csv')).split('\n')[0]).toBe(HEADER);
    expect(csvEpochs(done.run_dir)).toEqual([1, 2, 3]);
    for (const file of ['last.pt', 'best.pt', 'best.onnx']) expect(existsSync(path.join(done.run_dir, 'weights', file))).toBe(true);
    expect(readText(done.log_file)).toContain('3/3');
    expect(pidAlive(running.pid)).toBe(false);
  });

  test('envFor adds each attempt\'s environment (a job-scoped token), never its argv', async () => {
    const asked: string[] = [];
    const jobs = world.service({
      envFor: async (job) => {
        asked.push(`${job.job_id}#${job.attempt}`);
        return { YOLOOPS_AGENT_TOKEN: `token-of-${job.job_id}-${job.attempt}` };
      },
    });
    const job = await jobs.create({ dataset_id: 'ds_1', epochs: 200 });
    const running = await waitForPid(jobs, job.job_id);
    expect(processesWith([`YOLOOPS_TEST_WORLD=${world.dir}`, `YOLOOPS_AGENT_TOKEN=token-of-${job.job_id}-1`])).toContain(running.pid);
    expect(running.command.join(' ')).not.toContain('token-of-');
    await jobs.stop(job.job_id);
    await jobs.resume(job.job_id);
    const resumed = await waitFor('the resumed attempt', async () => ((await jobs.get(job.job_id)).attempt === 2 ? (await jobs.get(job.job_id)).pid : undefined));
    expect(processesWith([`YOLOOPS_TEST_WORLD=${world.dir}`, `YOLOOPS_AGENT_TOKEN=token-of-${job.job_id}-2`])).toContain(resumed);
    expect(asked).toEqual([`${job.job_id}#1`, `${job.job_id}#2`]);
  });

  test('a failing envFor fails the attempt with its message; nothing starts', async () => {
    const jobs = world.service({ envFor: () => { throw new Error('no token for you'); } });
    const job = await jobs.create({ dataset_id: 'ds_1', epochs: 1 });
    const failed = await waitForStatus(jobs, job.job_id, 'failed');
    expect(failed.error).toBe('no token for you');
    expect(world.processesOf(job.job_id)).toEqual([]);
  });

  test('refuses what cannot train, with messages that say why', async () => {
    const jobs = world.service();
    await expect(jobs.create({ dataset_id: 'ds_missing' })).rejects.toThrow(NotFoundError);
    await expect(jobs.create({ dataset_id: 'ds_raw' })).rejects.toThrow(/not prepared \(status "uploaded"\): prepare it/);
    await expect(jobs.create({ dataset_id: 'ds_noyaml' })).rejects.toMatchObject({ reason: 'data_yaml_missing' });
    await expect(jobs.create({ dataset_id: 'ds_1', version: 'v2' })).rejects.toMatchObject({ reason: 'version_not_found' });
    await expect(jobs.create({ dataset_id: 'ds_1', epochs: 0 })).rejects.toThrow(ValidationError);
    await expect(jobs.create({ dataset_id: 'ds_1', model_name: '../../etc/passwd' })).rejects.toThrow(/model_name/);
    await expect(jobs.create({ dataset_id: 'ds_1', base_model_id: 'model_1' })).rejects.toThrow(UnsupportedError);
    expect(await jobs.list()).toEqual([]);
  });

  test('fine-tuning copies the base model\'s best.pt into the job and names the job <base>_fine_tuned', async () => {
    await world.blobs.write('models/model_1/weights/best.pt', 'base weights');
    const jobs = world.service({
      resolveModelWeights: async (id) =>
        id === 'model_1' ? { ptKey: 'models/model_1/weights/best.pt', formats: ['onnx', 'pt'] } : id === 'model_onnx' ? { formats: ['onnx', 'data'] } : undefined,
    });
    await expect(jobs.create({ dataset_id: 'ds_1', base_model_id: 'model_9' })).rejects.toMatchObject({ reason: 'base_model_not_found', message: 'Base model model_9 not found' });
    const onnxOnly = await jobs.create({ dataset_id: 'ds_1', base_model_id: 'model_onnx' }).catch((e: unknown) => e);
    expect(onnxOnly).toBeInstanceOf(InvalidStateError);
    expect(onnxOnly).toMatchObject({ reason: 'base_model_not_trainable', message: expect.stringMatching(/^Base model model_onnx has no PyTorch weights \(\.pt\), only onnx: Ultralytics fine-tunes from \.pt/) });
    const job = await jobs.create({ dataset_id: 'ds_1', base_model_id: 'model_1', epochs: 1 });
    const start = path.join(world.dir, 'jobs', job.job_id, 'start_base.pt');
    expect(job).toMatchObject({ model_name: 'model_1_fine_tuned', base_model_id: 'model_1', original_model_path: start });
    expect(readText(start)).toBe('base weights');
    await world.blobs.delete('models/model_1'); // the job owns its copy
    expect((await waitForStatus(jobs, job.job_id, 'completed')).command).toContain(`model=${start}`);
    expect((await jobs.list()).map((j) => j.job_id)).toEqual([job.job_id]);
  });

  test('a trainer that fails gets `failed` with its exit code and the end of its traceback', async () => {
    const jobs = world.service({ env: { SCRIPTED_TRAINER_FAIL_AT: '2' } });
    const job = await jobs.create({ dataset_id: 'ds_1', epochs: 3 });
    const failed = await waitForStatus(jobs, job.job_id, 'failed');
    expect(failed).toMatchObject({ exit_code: 1, failed_at: expect.any(String) });
    expect(failed.error).toMatch(/^trainer exited with code 1: [\s\S]*RuntimeError: CUDA out of memory at epoch 2/);
    expect(failed.error?.length).toBeLessThanOrEqual(540);
  });

  test('a missing trainer program fails the job with what to install', async () => {
    const emptyPath = path.join(world.dir, 'empty-bin');
    const jobs = world.service({ trainerCommand: { train: ['yolo', 'detect', 'train', 'data={data}'], resume: ['yolo', 'resume'] }, env: { PATH: emptyPath } });
    const job = await jobs.create({ dataset_id: 'ds_1' });
    const failed = await waitForStatus(jobs, job.job_id, 'failed');
    expect(failed.error).toMatch(/could not start "yolo" \(ENOENT\): install Ultralytics \(pip install ultralytics\).*YOLOOPS_TRAINER_COMMAND/);
    // The log (what the S001 UI shows) says the same as the job's error.
    expect(readText(failed.log_file)).toContain(`[yoloops] ${failed.error}`);
  });

  test('a missing agent fails the job saying how to install it or run without it', async () => {
    const jobs = world.service({ agentCommand: ['yoloops-agent', 'run', '--task', '{job_id}', '--'], env: { PATH: path.join(world.dir, 'empty-bin') } });
    const job = await jobs.create({ dataset_id: 'ds_1' });
    expect((await waitForStatus(jobs, job.job_id, 'failed')).error).toMatch(/"yoloops-agent".*YOLOOPS_AGENT_COMMAND.*"none" \(library: null\)/);
  });

  test('a clean exit under an agent whose reports never arrived is not a clean `completed`', async () => {
    // An "agent" that cannot reach the server: it exits 0 without a single report (the trainer argv after -- is ignored).
    const jobs = world.service({ agentCommand: [process.execPath, '-e', 'process.exit(0)', '--'], serverUrl: 'http://127.0.0.1:9' });
    const job = await jobs.create({ dataset_id: 'ds_1' });
    const failed = await waitForStatus(jobs, job.job_id, 'failed');
    expect(failed).toMatchObject({ exit_code: 0 });
    expect(failed.completed_at).toBeUndefined();
    expect(failed.error).toMatch(/^the trainer exited cleanly, but the trainer agent's reports never reached this server \(it reported to http:\/\/127\.0\.0\.1:9\).*YOLOOPS_PUBLIC_URL/);
  });

  test('an unknown placeholder in a configured template is refused up front', () => {
    expect(() => world.service({ trainerCommand: { ...SCRIPTED_COMMAND, train: ['yolo', 'data={dataset}'] } })).toThrow(/unknown placeholder \{dataset\}/);
  });

  test('concurrency 1: the second job waits queued and starts when the first ends', async () => {
    const jobs = world.service();
    const first = await jobs.create({ dataset_id: 'ds_1', epochs: 3 });
    const second = await jobs.create({ dataset_id: 'ds_1', epochs: 1 });
    await waitForStatus(jobs, first.job_id, 'running');
    const seen = new Set<string>();
    await waitFor('both jobs to complete', async () => {
      const [a, b] = [await jobs.get(first.job_id), await jobs.get(second.job_id)];
      seen.add(`${a.status}/${b.status}`);
      return a.status === 'completed' && b.status === 'completed';
    });
    expect(seen.has('running/queued')).toBe(true);
    const allowed = ['running/queued', 'completed/queued', 'completed/running', 'completed/completed'];
    expect([...seen].filter((state) => !allowed.includes(state))).toEqual([]);
  });
});

describe('job service: stop, resume, extend, delete', () => {
  test('stop mid-run → stopped and the whole process group is gone; resume continues from last.pt', async () => {
    const jobs = world.service({ env: { SCRIPTED_TRAINER_WORKER: '1' } });
    const job = await jobs.create({ dataset_id: 'ds_1', epochs: 6 });
    const running = await waitForPid(jobs, job.job_id);
    await waitFor('two epochs', () => lastPtEpoch(running.run_dir) >= 2);
    const worker = Number(/worker pid (\d+)/.exec(readText(running.log_file))?.[1]);
    const stopped = await jobs.stop(job.job_id);
    expect(stopped).toMatchObject({ status: 'stopped', stopped_at: expect.any(String) });
    expect(stopped.signal === 'SIGTERM' || stopped.exit_code === 143).toBe(true);
    expect(worker).toBeGreaterThan(0);
    expect(pidAlive(running.pid) || pidAlive(worker)).toBe(false);
    expect(world.processesOf(job.job_id)).toEqual([]);
    const checkpoint = lastPtEpoch(running.run_dir);
    expect(checkpoint).toBeLessThan(6);

    const resumed = await jobs.resume(job.job_id);
    expect(resumed).toMatchObject({ status: 'queued', attempt: 2, resume_count: 1, resumed_from: path.join(running.run_dir, 'weights/last.pt') });
    expect(resumed.signal ?? resumed.exit_code ?? resumed.error).toBeUndefined();
    const done = await waitForStatus(jobs, job.job_id, 'completed');
    expect(done.command.slice(-2)).toEqual(['resume', `model=${path.join(running.run_dir, 'weights/last.pt')}`]);
    expect(readText(done.log_file)).toContain(`from epoch ${checkpoint + 1}`);
    expect(csvEpochs(done.run_dir).filter((e) => e > checkpoint)).toEqual(Array.from({ length: 6 - checkpoint }, (_, i) => checkpoint + 1 + i));
  });

  test('resume refuses completed and running jobs; stop refuses finished ones', async () => {
    const jobs = world.service({ env: { SCRIPTED_TRAINER_EPOCH_MS: '5000' } });
    const slow = await jobs.create({ dataset_id: 'ds_1', epochs: 2 });
    await waitForStatus(jobs, slow.job_id, 'running');
    await expect(jobs.resume(slow.job_id)).rejects.toThrow('cannot move job ' + slow.job_id + ' from "running" to "queued"');
    await jobs.stop(slow.job_id);
    await expect(jobs.stop(slow.job_id)).rejects.toMatchObject({ reason: 'not_running' });
    const fast = world.service();
    const done = await fast.create({ dataset_id: 'ds_1', epochs: 1 });
    await waitForStatus(fast, done.job_id, 'completed');
    await expect(fast.resume(done.job_id)).rejects.toThrow(/from "completed" to "queued": a completed job cannot resume; extend it instead/);
    await expect(fast.resume('job_missing')).rejects.toThrow(NotFoundError);
  });

  test('a job that failed before its first checkpoint resumes by training again from its original weights', async () => {
    const flag = path.join(world.dir, 'fail-before-checkpoint');
    writeFileSync(flag, '');
    const jobs = world.service({ env: { SCRIPTED_TRAINER_FAIL_FLAG: flag } });
    const job = await jobs.create({ dataset_id: 'ds_1', epochs: 2 });
    const failed = await waitForStatus(jobs, job.job_id, 'failed');
    expect(existsSync(path.join(failed.run_dir, 'weights/last.pt'))).toBe(false);
    rmSync(flag);
    const resumed = await jobs.resume(job.job_id);
    expect(resumed).toMatchObject({ status: 'queued', attempt: 2, resume_count: 1, resumed_from: 'start' });
    const done = await waitForStatus(jobs, job.job_id, 'completed');
    // The train template again (not `resume`), from the weights the first attempt started from.
    expect(done.command).toEqual(expect.arrayContaining(['model=yolov8n.pt', 'epochs=2']));
    expect(done.command).not.toContain('resume');
    expect(csvEpochs(done.run_dir)).toEqual([1, 2]);
  });

  test('extend makes a child job that trains more epochs from the parent weights', async () => {
    const jobs = world.service();
    const parent = await waitForStatus(jobs, (await jobs.create({ dataset_id: 'ds_1', epochs: 2 })).job_id, 'completed');
    const child = await jobs.extend(parent.job_id, 2);
    expect(child).toMatchObject({ status: 'queued', parent_job_id: parent.job_id, epoch_offset: 2, epochs: 2, dataset_id: 'ds_1', attempt: 1 });
    expect(child.original_model_path).toBe(path.join(world.dir, 'jobs', child.job_id, 'start_last.pt'));
    expect(JSON.parse(readFileSync(child.original_model_path, 'utf8'))).toMatchObject({ epoch: 2, epochs: 2 });
    const done = await waitForStatus(jobs, child.job_id, 'completed');
    expect(done.command).toContain(`model=${child.original_model_path}`);
    expect(csvEpochs(done.run_dir)).toEqual([1, 2]);
    expect((await jobs.get(parent.job_id)).status).toBe('completed');
    await expect(jobs.extend(parent.job_id, 0)).rejects.toThrow(ValidationError);
  });

  test('delete stops a running job, then removes its record, metrics, run folder and log', async () => {
    const jobs = world.service();
    const job = await jobs.create({ dataset_id: 'ds_1', epochs: 20 });
    const running = await waitForPid(jobs, job.job_id);
    await world.metrics.upsertEpoch(job.job_id, 1, { loss: 1 }, { attempt: 1, recorded_at: 'T' });
    await waitFor('the log', () => existsSync(running.log_file));
    await jobs.delete(job.job_id);
    await expect(jobs.get(job.job_id)).rejects.toThrow(NotFoundError);
    expect(pidAlive(running.pid)).toBe(false);
    expect(world.processesOf(job.job_id)).toEqual([]);
    expect(await world.metrics.listEpochs(job.job_id)).toEqual([]);
    expect(existsSync(path.join(world.dir, 'jobs', job.job_id)) || existsSync(running.log_file)).toBe(false);
    await expect(jobs.delete(job.job_id)).rejects.toThrow(NotFoundError);
  });
});
