import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, test } from 'vitest';
import { fixturePath, zipDirectory } from '../../../../test/support/fixtures.js';
import { createJobWorld, waitForPid } from '../../test/support/job-test-kit.js';
import { createMemoryBlobStore } from '../adapters/memory/memory-blob-store.js';
import { createMemoryDatasetStore } from '../adapters/memory/memory-dataset-store.js';
import { createMemoryServerInstanceStore } from '../adapters/memory/memory-server-instance-store.js';
import { openPgliteDatabase } from '../adapters/postgres/pglite-database.js';
import { createPostgresDatasetStore } from '../adapters/postgres/postgres-dataset-store.js';
import { createPostgresServerInstanceStore } from '../adapters/postgres/postgres-server-instance-store.js';
import { createNodePlatform } from '../adapters/node/create-node-platform.js';
import { createSharpImageProbe } from '../adapters/sharp/sharp-image-probe.js';
import { createDatasetService } from '../datasets/dataset-service.js';
import type { ImageProbe } from '../datasets/image-probe.port.js';
import type { Clock } from '../platform/clock.port.js';
import { createServerRegistry } from './server-liveness.js';

/** A clock a test moves by hand. */
const manualClock = (start = Date.parse('2026-01-01T00:00:00.000Z')) => {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => void (t += ms) } satisfies Clock & { advance(ms: number): void };
};
/** A pid that belonged to a process that has ended (as a trainer on another machine looks from here). */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('start-up recovery with several servers on one database', () => {
  test('two platforms on one data root: B starting leaves A\'s prepare and processing task alone; once A is silent past the timeout B\'s sweep takes them over', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'yoloops-servers-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const [clockA, clockB] = [manualClock(), manualClock()];
    const open = (clock: Clock) =>
      createNodePlatform({ dataDir: dir, clock, servers: { timeoutMs: 30_000, sweepMs: 20 }, jobs: { agentCommand: null, watchdogMs: 3_600_000, dispatch: false }, generation: { llama: false } });
    const a = await open(clockA);
    cleanups.push(() => a.close());
    const ownerA = a.servers!.instanceId;
    const ds = await a.datasets.upload({ filename: 'coco8.zip', body: Readable.from([await zipDirectory(fixturePath('datasets/coco8'), 'coco8')]) });
    // A is preparing it (the same write a prepare makes) and running a processing task.
    expect(await a.stores.datasets.transition(ds.dataset_id, ['uploaded'], 'preparing', { prepare_server_id: ownerA })).toBeDefined();
    const at = clockA.now().toISOString();
    await a.stores.processingTasks.create({
      task_id: 'task_a', kind: 'dataset_process', dataset_id: 'ids_1', output_name: 'o', status: 'running', progress: 40, created_at: at, updated_at: at, owner_id: null, server_id: ownerA,
    });

    const b = await open(clockB);
    cleanups.push(() => b.close());
    expect(b.servers!.instanceId).not.toBe(ownerA);
    expect(await b.servers!.liveOthers()).toEqual(new Set([ownerA]));
    expect(await b.stores.datasets.get(ds.dataset_id)).toMatchObject({ status: 'preparing', prepare_server_id: ownerA });
    expect(await b.stores.processingTasks.get('task_a')).toMatchObject({ status: 'running', server_id: ownerA });

    a.servers!.stop(); // A dies: no more heartbeats, its record stays
    clockB.advance(29_000);
    expect(await b.datasets.recoverInterrupted()).toBe(0);
    await b.instructions.recoverOnStart();
    expect(await b.stores.processingTasks.get('task_a')).toMatchObject({ status: 'running' });
    clockB.advance(2_000);
    expect(await b.servers!.liveOthers()).toEqual(new Set());
    // No restart needed: B's recovery sweep (every 20 ms here) takes both over.
    await expect.poll(async () => (await b.stores.datasets.get(ds.dataset_id))?.status).toBe('uploaded');
    const recovered = await b.stores.datasets.get(ds.dataset_id);
    expect(recovered).toMatchObject({ status: 'uploaded', error: 'prepare was interrupted by a restart' });
    expect(recovered?.prepare_server_id).toBeUndefined();
    await expect.poll(async () => (await b.stores.processingTasks.get('task_a'))?.status).toBe('failed');
    expect(await b.stores.processingTasks.get('task_a')).toMatchObject({ error: 'the server stopped while this task ran' });
  });

  test.each(['memory', 'pglite'] as const)('%s: a prepare records its server while it runs and clears it after; another server\'s recovery leaves it alone until that server is dead', async (kind) => {
    const pg = kind === 'pglite' ? await openPgliteDatabase() : undefined;
    if (pg) cleanups.push(() => pg.close());
    const store = pg ? createPostgresServerInstanceStore(pg) : createMemoryServerInstanceStore();
    const datasets = pg ? createPostgresDatasetStore(pg) : createMemoryDatasetStore();
    const [clockA, clockB] = [manualClock(), manualClock()];
    const [regA, regB] = [createServerRegistry({ store, clock: clockA }), createServerRegistry({ store, clock: clockB })];
    await regA.start();
    await regB.start();
    cleanups.push(() => regA.stop(), () => regB.stop());
    let open = () => {};
    const gate = new Promise<void>((resolve) => (open = resolve));
    const sharp = createSharpImageProbe();
    const gated: ImageProbe = { probe: async (input) => (await gate, sharp.probe(input)) };
    const blobs = createMemoryBlobStore();
    const a = createDatasetService({ datasets, blobs, clock: clockA, images: gated, servers: regA });
    const b = createDatasetService({ datasets, blobs, clock: clockB, images: sharp, servers: regB });
    const ds = await a.upload({ filename: 'coco8.zip', body: Readable.from([await zipDirectory(fixturePath('datasets/coco8'), 'coco8')]) });
    const preparing = a.prepare(ds.dataset_id, { seed: 1 });
    await expect.poll(async () => (await datasets.get(ds.dataset_id))?.prepare_server_id).toBe(regA.instanceId);
    expect(await b.recoverInterrupted()).toBe(0);
    expect(await a.recoverInterrupted()).toBe(0); // a sweep on A itself leaves its own prepare alone
    open();
    expect((await preparing).status).toBe('prepared');
    const after = await datasets.get(ds.dataset_id);
    expect(after?.status).toBe('prepared');
    expect(after?.prepare_server_id).toBeUndefined();

    // A re-prepares and dies mid-way: once its heartbeat is 30 s old, B puts the dataset back to its prepared version.
    await datasets.transition(ds.dataset_id, ['prepared'], 'preparing', { prepare_server_id: regA.instanceId });
    regA.stop();
    clockB.advance(30_001);
    expect(await b.recoverInterrupted()).toBe(1);
    expect(await datasets.get(ds.dataset_id)).toMatchObject({ status: 'prepared', error: 'prepare was interrupted by a restart' });
  });

  test('local jobs: the launch records its server; B\'s crash check skips a live A\'s jobs, then crashes the dead ones and adopts the live process', async () => {
    const world = await createJobWorld();
    cleanups.push(() => world.cleanup());
    const store = createMemoryServerInstanceStore();
    const [clockA, clockB] = [manualClock(), manualClock()];
    const [regA, regB] = [createServerRegistry({ store, clock: clockA }), createServerRegistry({ store, clock: clockB })];
    await regA.start();
    await regB.start();
    cleanups.push(() => regA.stop(), () => regB.stop());
    const a = world.service({ servers: regA, env: { SCRIPTED_TRAINER_EPOCH_MS: '60000' } });
    const job = await a.create({ dataset_id: 'ds_1', epochs: 3 });
    const running = await waitForPid(a, job.job_id);
    expect(running.server_id).toBe(regA.instanceId);
    // A's second job trains on A's machine: from here its pid is not alive.
    await world.jobs.create({ ...running, job_id: 'job_remote', pid: deadPid() });

    const b = world.service({ servers: regB });
    await b.recoverOnStart();
    expect(await b.get('job_remote')).toMatchObject({ status: 'running', server_id: regA.instanceId });
    expect(await b.get(job.job_id)).toMatchObject({ status: 'running', server_id: regA.instanceId });

    regA.stop();
    clockB.advance(31_000);
    await b.checkAlive();
    expect(await b.get('job_remote')).toMatchObject({ status: 'crashed', crashed: true });
    // A's trainer still runs on this machine: B adopts it and now owns the job.
    expect(await b.get(job.job_id)).toMatchObject({ status: 'running', server_id: regB.instanceId, pid: running.pid });
  });
});
