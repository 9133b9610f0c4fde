import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { createMemoryJobDispatcher, type MemoryJobDispatcher } from '../adapters/memory/memory-job-dispatcher.js';
import { createMemoryWorkerStore } from '../adapters/memory/memory-worker-store.js';
import { openSqliteDatabase } from '../adapters/sqlite/sqlite-database.js';
import { createSqliteWorkerStore } from '../adapters/sqlite/sqlite-worker-store.js';
import { InvalidStateError } from '../errors.js';
import type { WorkerStore } from '../workers/worker-store.port.js';
import { queuesForWorker } from '../workers/worker-queues.js';
import { createJobWorld } from '../../test/support/job-test-kit.js';
import { expectRejection } from '../../test/support/expect-core-error.js';

/** A clock the test moves by hand, so worker silence is a matter of `advance`, never of waiting. */
function manualClock(start = Date.parse('2024-01-15T12:00:00.000Z')) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => void (t += ms) };
}

type World = Awaited<ReturnType<typeof createJobWorld>>;
let world: World | undefined;
afterEach(async () => {
  await world?.cleanup();
  world = undefined;
});

const beat = (jobs: { job_id: string; attempt: number }[] = [], labels: Record<string, string> = {}) => ({ labels, concurrency: 1, hostname: 'gpu-box', version: 't', jobs });

async function setup(kind: 'memory' | 'sqlite') {
  world = await createJobWorld({ sqlite: kind === 'sqlite' });
  const workers: WorkerStore = kind === 'sqlite' ? createSqliteWorkerStore(openSqliteDatabase(path.join(world.dir, 'yoloops.db'))) : createMemoryWorkerStore();
  const dispatcher: MemoryJobDispatcher = createMemoryJobDispatcher();
  const clock = manualClock();
  const errors: unknown[] = [];
  const service = world.service({
    clock, dispatch: { dispatcher, workers, timeoutMs: 15_000, onError: (error) => errors.push(error) },
    envFor: async (job) => ({ YOLOOPS_AGENT_TOKEN: `agent-${job.job_id}-${job.attempt}` }),
  });
  const dispatch = service.workers;
  if (dispatch === undefined) throw new Error('dispatch mode expected');
  return { service, dispatch, dispatcher, clock, workers, errors, world };
}

describe.each(['memory', 'sqlite'] as const)('job service in dispatch mode (%s)', (kind) => {
  test('a created job is one message on its label queue; a claim runs it on that worker with a work order', async () => {
    const { service, dispatch, dispatcher } = await setup(kind);
    const job = await service.create({ dataset_id: 'ds_1', epochs: 3, batch: 8, worker_labels: { gpu: 'a100' } });
    await service.recoverOnStart();
    await service.recoverOnStart();
    expect(dispatcher.pending()).toEqual([{ id: `${job.job_id}.1`, queue: 'train.gpu=a100', message: { job_id: job.job_id, attempt: 1 } }]);
    expect(dispatcher.take(queuesForWorker({}))).toBeUndefined();
    await dispatch.heartbeat('w-small', beat([], { zone: 'eu' }));
    await expectRejection(dispatch.claim('w-small', { job_id: job.job_id, attempt: 1 }), { type: InvalidStateError, reason: 'labels_mismatch' });
    await dispatch.heartbeat('w-a', beat([], { gpu: 'a100', zone: 'eu' }));
    const message = dispatcher.take(queuesForWorker({ gpu: 'a100', zone: 'eu' }));
    expect(message?.message).toEqual({ job_id: job.job_id, attempt: 1 });
    const order = await dispatch.claim('w-a', message!.message);
    expect(order).toEqual({
      job_id: job.job_id, attempt: 1, kind: 'detect', agent_token: `agent-${job.job_id}-1`, resume: false,
      trainer: service.config().trainerCommand.train,
      values: { epochs: '3', imgsz: '640', batch: '8', name: 'train', job_id: job.job_id, model: 'yolov8n.pt' },
      dataset: { url: `/api/workers/jobs/${job.job_id}/dataset?attempt=1`, dataset_id: 'ds_1', version: 'v1' }, weights: null, finetune: null,
    });
    expect(await service.get(job.job_id)).toMatchObject({ status: 'running', worker_id: 'w-a', attempt: 1, worker_labels: { gpu: 'a100' } });
    expect((await dispatch.list()).find((w) => w.worker_id === 'w-a')).toMatchObject({ current_job: job.job_id, alive: true, labels: { gpu: 'a100', zone: 'eu' } });
    await expectRejection(dispatch.claim('w-b', { job_id: job.job_id, attempt: 1 }), { type: InvalidStateError, reason: 'held_by_live_worker' });
    await service.checkAlive();
    expect(dispatcher.pending()).toEqual([]);
  });

  test('stop reaches the worker through its heartbeat; its exit keeps the job stopped and adds the exit facts', async () => {
    const { service, dispatch } = await setup(kind);
    const job = await service.create({ dataset_id: 'ds_1' });
    await dispatch.heartbeat('w-a', beat());
    await dispatch.claim('w-a', { job_id: job.job_id, attempt: 1 });
    expect((await dispatch.heartbeat('w-a', beat([{ job_id: job.job_id, attempt: 1 }]))).cancel).toEqual([]);
    expect((await service.stop(job.job_id)).status).toBe('stopped');
    const answer = await dispatch.heartbeat('w-a', beat([{ job_id: job.job_id, attempt: 1 }]));
    expect(answer).toEqual({ cancel: [{ job_id: job.job_id, attempt: 1, reason: 'stopped' }], heartbeat_ms: 2000, timeout_ms: 15_000 });
    expect(await dispatch.exit('w-a', job.job_id, { attempt: 1, code: null, signal: 'SIGTERM', output_tail: 'bye' })).toEqual({ stored: true, status: 'stopped' });
    expect(await service.get(job.job_id)).toMatchObject({ status: 'stopped', signal: 'SIGTERM' });
    expect(await dispatch.exit('w-a', job.job_id, { attempt: 1, code: 0, signal: null })).toEqual({ stored: false, status: 'stopped' });
    await service.delete(job.job_id);
    expect((await dispatch.heartbeat('w-a', beat([{ job_id: job.job_id, attempt: 1 }]))).cancel).toEqual([{ job_id: job.job_id, attempt: 1, reason: 'deleted' }]);
  });

  test('exits: non-zero fails with the tail; a clean exit the agent never reported fails saying so; another worker\'s exit is ignored', async () => {
    const { service, dispatch } = await setup(kind);
    const [a, b] = [await service.create({ dataset_id: 'ds_1' }), await service.create({ dataset_id: 'ds_1' })];
    await dispatch.heartbeat('w-a', beat());
    await dispatch.claim('w-a', { job_id: a.job_id, attempt: 1 });
    await dispatch.claim('w-a', { job_id: b.job_id, attempt: 1 });
    expect(await dispatch.exit('w-b', a.job_id, { attempt: 1, code: 1, signal: null })).toEqual({ stored: false, status: 'running' });
    expect(await dispatch.exit('w-a', a.job_id, { attempt: 1, code: 2, signal: null, output_tail: 'CUDA out of memory' })).toEqual({ stored: true, status: 'failed' });
    expect(await service.get(a.job_id)).toMatchObject({ status: 'failed', exit_code: 2, error: 'trainer exited with code 2: CUDA out of memory' });
    expect(await dispatch.exit('w-a', b.job_id, { attempt: 1, code: 0, signal: null })).toEqual({ stored: true, status: 'failed' });
    expect((await service.get(b.job_id)).error).toContain('reports never reached this server');
  });

  test('a silent worker\'s job is re-delivered and claimed as a new attempt from the stored checkpoint; its late reports are ignored', async () => {
    const { service, dispatch, dispatcher, clock, world: w } = await setup(kind);
    const job = await service.create({ dataset_id: 'ds_1', epochs: 5 });
    await dispatch.heartbeat('w-a', beat());
    await dispatch.claim('w-a', dispatcher.take(['train'])!.message);
    await w.blobs.write(`jobs/${job.job_id}/train/weights/last.pt`, 'epoch 2 weights');
    clock.advance(10_000);
    await service.checkAlive();
    expect(dispatcher.pending()).toEqual([]);
    clock.advance(6_000);
    await dispatch.heartbeat('w-b', beat());
    await service.checkAlive();
    await service.checkAlive();
    expect(dispatcher.pending().map((p) => p.id)).toEqual([`${job.job_id}.1.r`]);
    const order = await dispatch.claim('w-b', dispatcher.take(['train'])!.message);
    expect(order).toMatchObject({
      attempt: 2, resume: true, trainer: service.config().trainerCommand.resume, agent_token: `agent-${job.job_id}-2`,
      weights: { url: `/api/workers/jobs/${job.job_id}/weights?attempt=2`, file_name: 'last.pt' },
    });
    expect(order.values.model).toBeUndefined();
    expect(await service.get(job.job_id)).toMatchObject({
      status: 'running', attempt: 2, resume_count: 1, worker_id: 'w-b', resumed_from: w.blobs.localPath(`jobs/${job.job_id}/train/weights/last.pt`),
    });
    // Worker A comes back: its attempt is superseded, its exit changes nothing, its old message is refused.
    expect((await dispatch.heartbeat('w-a', beat([{ job_id: job.job_id, attempt: 1 }]))).cancel).toEqual([{ job_id: job.job_id, attempt: 1, reason: 'superseded' }]);
    expect(await dispatch.exit('w-a', job.job_id, { attempt: 1, code: 1, signal: null })).toEqual({ stored: false, status: 'running' });
    await expectRejection(dispatch.claim('w-a', { job_id: job.job_id, attempt: 1 }), { type: InvalidStateError, reason: 'attempt_superseded' });
    expect(await service.get(job.job_id)).toMatchObject({ status: 'running', attempt: 2, worker_id: 'w-b' });
  });

  test('a worker that restarted under its id and no longer lists the attempt gives the job up; a duplicate delivery while it runs it is refused', async () => {
    const { service, dispatch, dispatcher, clock } = await setup(kind);
    const job = await service.create({ dataset_id: 'ds_1' });
    await dispatch.heartbeat('w-a', beat());
    await dispatch.claim('w-a', { job_id: job.job_id, attempt: 1 });
    await dispatch.heartbeat('w-a', beat([{ job_id: job.job_id, attempt: 1 }]));
    await expectRejection(dispatch.claim('w-a', { job_id: job.job_id, attempt: 1 }), { type: InvalidStateError, reason: 'held_by_live_worker' });
    // It restarts: alive, heartbeating, but without the job.
    clock.advance(16_000);
    await dispatch.heartbeat('w-a', beat());
    await service.checkAlive();
    expect(dispatcher.pending().map((p) => p.id)).toContain(`${job.job_id}.1.r`);
    expect(await dispatch.claim('w-a', { job_id: job.job_id, attempt: 1 })).toMatchObject({ attempt: 2, resume: false });
  });

  test('a server that starts gives workers one timeout to heartbeat before it takes their jobs for abandoned', async () => {
    const { service, dispatch, dispatcher, clock, workers, world: w } = await setup(kind);
    const job = await service.create({ dataset_id: 'ds_1' });
    await dispatch.heartbeat('w-a', beat());
    await dispatch.claim('w-a', { job_id: job.job_id, attempt: 1 });
    clock.advance(60_000); // this server was down a minute: no heartbeat could arrive
    const restarted = w.service({ clock, dispatch: { dispatcher, workers } });
    await restarted.recoverOnStart();
    expect(dispatcher.pending().filter((p) => p.id.endsWith('.r'))).toEqual([]);
    await expectRejection(restarted.workers!.claim('w-b', { job_id: job.job_id, attempt: 1 }), { type: InvalidStateError, reason: 'held_by_live_worker' });
    clock.advance(15_000);
    await restarted.checkAlive();
    expect(dispatcher.pending().map((p) => p.id)).toContain(`${job.job_id}.1.r`);
  });

  test('two workers claiming one silent worker\'s job at once: exactly one new attempt', async () => {
    const { service, dispatch, clock } = await setup(kind);
    const job = await service.create({ dataset_id: 'ds_1' });
    await dispatch.heartbeat('w-a', beat());
    await dispatch.claim('w-a', { job_id: job.job_id, attempt: 1 });
    clock.advance(20_000);
    const ids = Array.from({ length: 8 }, (_, i) => `w-${i}`);
    for (const id of ids) await dispatch.heartbeat(id, beat());
    const results = await Promise.allSettled(ids.map((id) => dispatch.claim(id, { job_id: job.job_id, attempt: 1 })));
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as InvalidStateError).reason).toMatch(/held_by_live_worker|attempt_superseded/);
    const after = await service.get(job.job_id);
    expect(after.attempt).toBe(2);
    expect(ids).toContain(after.worker_id);
  });

  test('a stop and resume while queued: the new attempt has its message; a claim of the old attempt is refused', async () => {
    const { service, dispatch, dispatcher } = await setup(kind);
    const job = await service.create({ dataset_id: 'ds_1' });
    await service.stop(job.job_id);
    await service.resume(job.job_id);
    await service.checkAlive();
    expect(dispatcher.pending().map((p) => p.id)).toContain(`${job.job_id}.2`);
    await dispatch.heartbeat('w-a', beat());
    await expectRejection(dispatch.claim('w-a', { job_id: job.job_id, attempt: 1 }), { type: InvalidStateError, reason: 'attempt_superseded' });
    expect((await dispatch.claim('w-a', { job_id: job.job_id, attempt: 2 })).attempt).toBe(2);
  });

  test('50 concurrent stops and resumes of one job end in one consistent state', async () => {
    const { service, dispatch, dispatcher } = await setup(kind);
    const job = await service.create({ dataset_id: 'ds_1' });
    await dispatch.heartbeat('w-a', beat());
    await dispatch.claim('w-a', { job_id: job.job_id, attempt: 1 });
    const calls = Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? service.stop(job.job_id) : service.resume(job.job_id)));
    const results = await Promise.allSettled(calls);
    const resumed = results.filter((r, i) => i % 2 === 1 && r.status === 'fulfilled').length;
    const stopped = results.filter((r, i) => i % 2 === 0 && r.status === 'fulfilled').length;
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(InvalidStateError);
    await service.checkAlive();
    const final = await service.get(job.job_id);
    expect(final.attempt).toBe(1 + resumed);
    expect(final.resume_count ?? 0).toBe(resumed);
    expect(stopped).toBeGreaterThanOrEqual(1);
    expect(stopped === resumed || stopped === resumed + 1).toBe(true);
    expect(final.status).toBe(stopped === resumed ? 'queued' : 'stopped');
    expect(final.worker_id).toBe(resumed > 0 ? undefined : 'w-a');
    const ids = dispatcher.pending().map((p) => p.id);
    if (final.status === 'queued') expect(ids).toContain(`${job.job_id}.${final.attempt}`);
    // Whatever messages are pending, only the current attempt of a queued job can be claimed.
    let claimed = 0;
    for (let m = dispatcher.take(['train']); m !== undefined; m = dispatcher.take(['train'])) {
      claimed += await dispatch.claim('w-a', m.message).then(() => 1, () => 0);
    }
    expect(claimed).toBe(final.status === 'queued' ? 1 : 0);
  });

  test('extend: the child keeps the parent\'s worker labels unless given its own, and is dispatched on their queue', async () => {
    const { service, dispatcher, world: w } = await setup(kind);
    const parent = await service.create({ dataset_id: 'ds_1', worker_labels: { gpu: 'a100' } });
    await service.stop(parent.job_id);
    await w.blobs.write(`jobs/${parent.job_id}/train/weights/last.pt`, 'weights');
    const same = await service.extend(parent.job_id, 2);
    const other = await service.extend(parent.job_id, 2, { workerLabels: { gpu: 'h100' } });
    expect(same.worker_labels).toEqual({ gpu: 'a100' });
    expect(other.worker_labels).toEqual({ gpu: 'h100' });
    await service.checkAlive();
    expect(dispatcher.pending().filter((p) => p.message.job_id !== parent.job_id).map((p) => p.queue).sort()).toEqual(['train.gpu=a100', 'train.gpu=h100']);
    const order = await service.workers!.claim('w-x', { job_id: other.job_id, attempt: 1 });
    expect(order.weights).toEqual({ url: `/api/workers/jobs/${other.job_id}/weights?attempt=1`, file_name: 'start_last.pt', folder: false });
  });

  test('a dispatch that fails leaves the job queued and is reported (the watchdog tries again on its next round)', async () => {
    const { service, dispatcher, errors } = await setup(kind);
    await dispatcher.close();
    const job = await service.create({ dataset_id: 'ds_1' });
    await service.checkAlive();
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect((await service.get(job.job_id)).status).toBe('queued');
  });
});
