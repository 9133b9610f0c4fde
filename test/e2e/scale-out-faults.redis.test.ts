import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient, type YoloopsClient } from '@yoloops/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestSchema, type TestSchema } from '../../packages/core/test/support/postgres-server.js';
import { startPrivatePostgres, type PrivatePostgres } from '../../packages/core/test/support/private-postgres.js';
import { startTestRedis, type TestRedis } from '../../packages/core/test/support/redis-server.js';
import { fixturePath, zipDirectory } from '../support/fixtures.js';
import { epochLines, fresh, range, retried, startBalancer, startServe, startWorker, trainersOf, TRAINER_ENV, type Balancer, type CliProcess } from '../support/scale-out-cluster.js';
import { freePort, killProcessGroupsWith, processesWith, waitFor } from '../support/server-process.js';

// Issue 12 acceptance: 2 `yoloops serve` processes (one data root, one PostgreSQL schema, one Redis) behind a
// round-robin TCP balancer, 2 `yoloops worker` processes, the scripted trainer; then kill -9 a worker, kill -9 a
// server, restart Redis, cut PostgreSQL's connections, crash and restart the PostgreSQL server, and race 50
// stop/resume calls. PostgreSQL and Redis are the test's own processes (initdb/pg_ctl, redis-server). Run alone:
// it kills processes.

type Job = Awaited<ReturnType<YoloopsClient['training']['get']>>;
type Epoch = { epoch: number; attempt: number; metrics: Record<string, number | null> };
const TERMINAL = ['completed', 'failed', 'stopped', 'crashed'];
// The agent sends a checkpoint only once last.pt stayed unchanged for its 1 s settle time, so epochs must be longer.
const EPOCH_MS = 1600;
const MARKER = `YOLOOPS_SCALE_OUT_TEST=${randomBytes(6).toString('hex')}`;
const [MARKER_NAME, MARKER_VALUE] = MARKER.split('=') as [string, string];

let postgres: PrivatePostgres;
let schema: TestSchema;
let redis: TestRedis;
let balancer: Balancer;
/** The servers reach PostgreSQL through this proxy, so the test can take the database's address away and back. */
let pgProxy: Balancer;
let dataDir: string;
let serverEnv: Record<string, string>;
const ports: number[] = [];
const servers: CliProcess[] = [];
const workerIds = ['gpu-a', 'gpu-b'];
const workDirs: Record<string, string> = {};
const workers: Record<string, CliProcess> = {};
let client: YoloopsClient;
let datasetId: string;
/** Job of the worker-kill test, with the epoch attempt 2 resumed at (its log is read from the surviving server later). */
let twoAttempts: { jobId: string; resumedAt: number; epochs: number } | undefined;

const getJob = (jobId: string) => retried(() => client.training.get(jobId));
const epochsOf = async (jobId: string) => (await retried(() => client.training.metrics(jobId))).epochs as Epoch[];
const create = (epochs: number) => retried(() => client.training.create({ dataset_id: datasetId, version: 'v1', epochs, imgsz: 320, batch: 4, model_name: 'yolov8n.pt', base_model_id: null } as never));
const startWorkerProcess = (id: string) => startWorker({ id, workDir: workDirs[id] as string, server: balancer.url, redis: redis.url, env: { SCRIPTED_TRAINER_EPOCH_MS: String(EPOCH_MS), [MARKER_NAME]: MARKER_VALUE } });

async function runningWith(jobId: string, minEpochs: number): Promise<Job> {
  const [job] = await waitFor(`${jobId} running with ${minEpochs} epochs stored`, async () => [await getJob(jobId), (await epochsOf(jobId)).length] as const,
    ([job, stored]) => job.status === 'running' && stored >= minEpochs, 60_000);
  return job;
}
const finished = (jobId: string, timeoutMs = 90_000) => waitFor(`${jobId} to finish`, () => getJob(jobId), (job) => TERMINAL.includes(job.status), timeoutMs);

/** Registered models trained by `jobId`. */
async function modelsOf(jobId: string): Promise<unknown[]> {
  const models = JSON.parse((await fresh('GET', `${balancer.url}/models`)).body) as { models?: { job_id?: string }[] } | { job_id?: string }[];
  return (Array.isArray(models) ? models : (models.models ?? [])).filter((m) => m.job_id === jobId);
}

/** Every epoch 1..n stored exactly once. */
async function expectEveryEpochOnce(jobId: string, n: number): Promise<Epoch[]> {
  const rows = await epochsOf(jobId);
  expect(rows.map((r) => r.epoch)).toEqual(range(1, n));
  return rows;
}

/** Kills server 1 while `jobId` runs; the job completes through the balancer and the survivor streams and serves both jobs' logs. */
async function killedServer(jobId: string, total: number, survivor: YoloopsClient): Promise<void> {
  const streamed: string[] = [];
  const stream = (async () => {
    for await (const line of survivor.logs.stream(jobId)) streamed.push(line);
  })();
  await servers[0]?.kill('SIGKILL', true);
  const done = await finished(jobId);
  expect(done, JSON.stringify(done)).toMatchObject({ status: 'completed', attempt: 1 });
  await expectEveryEpochOnce(jobId, total);
  await Promise.race([stream, new Promise((_, reject) => setTimeout(() => reject(new Error(`the stream did not end: ${JSON.stringify(streamed)}`)), 30_000))]);
  expect(epochLines(streamed, total)).toEqual(range(1, total));

  // The two-attempt job's stored log, read from the survivor: attempt 1's lines, then attempt 2's, each once.
  if (twoAttempts === undefined) throw new Error('the worker-kill test did not run');
  const { lines } = (await survivor.logs.lines(twoAttempts.jobId, 0)) as { lines: string[] };
  const resumeLine = lines.findIndex((line) => line.includes(`from epoch ${twoAttempts?.resumedAt}`) && line.includes('Resuming training'));
  expect(resumeLine, lines.join('\n')).toBeGreaterThan(0);
  expect(lines.filter((line) => line.includes('Starting training for'))).toHaveLength(1);
  expect(lines.filter((line) => line.includes('Resuming training'))).toHaveLength(1);
  // Attempt 1's agent died with its worker: what it had shipped is there once (its last unshipped lines are not).
  const before = epochLines(lines.slice(0, resumeLine), twoAttempts.epochs);
  expect(before).toEqual(range(1, Math.max(1, before.length)));
  expect(epochLines(lines.slice(resumeLine), twoAttempts.epochs)).toEqual(range(twoAttempts.resumedAt, twoAttempts.epochs));
}

/**
 * A job of 8 epochs running when the database goes away (`away`) for `downMs`, then comes back (`back`): every request
 * is a 500 meanwhile, then both servers answer again, and the job completes with every epoch stored once.
 */
async function databaseOutage(downMs: number, away: () => Promise<void>, back: () => Promise<void>): Promise<string> {
  const total = 8;
  const { job_id: jobId } = await create(total);
  await runningWith(jobId, 2);
  await away();
  expect((await fresh('GET', `${balancer.url}/train/jobs/${jobId}`)).status).toBeGreaterThanOrEqual(500); // the database is really gone
  await new Promise((resolve) => setTimeout(resolve, downMs));
  await back();
  const statuses = () => Promise.all(range(1, 10).map(async () => (await fresh('GET', `${balancer.url}/train/jobs/${jobId}`)).status));
  await waitFor('both servers answering from the database again', statuses, (all) => all.every((s) => s === 200), 30_000);
  expect(await statuses()).toEqual(range(1, 10).map(() => 200));
  const done = await finished(jobId);
  expect(done, JSON.stringify(done)).toMatchObject({ status: 'completed' });
  await expectEveryEpochOnce(jobId, total);
  return jobId;
}

/** Worker `holder` is frozen while its trainer of `jobId` goes on: the other worker takes over, the old attempt is fenced, a restart reaps it. */
async function frozenWorker(jobId: string, total: number, onA: Job, holder: string): Promise<void> {
  const other = workerIds.find((id) => id !== holder) as string;
  const checkpoint = path.join(onA.run_dir, 'weights', 'last.pt');
  const worker = workers[holder] as CliProcess;
  const onB = await waitFor('a new attempt on the other worker', () => getJob(jobId), (job) => job.attempt >= 2 && job.worker_id === other, 60_000);
  const resumedFrom = (JSON.parse(readFileSync(checkpoint, 'utf8')) as { epoch: number }).epoch;
  const orphans = processesWith(`YOLOOPS_WORKER_ID=${holder}`).filter((pid) => processesWith(`YOLOOPS_JOB_ID=${jobId}`).includes(pid));
  expect(trainersOf(jobId).filter((pid) => orphans.includes(pid))).toHaveLength(1); // the old attempt still trains

  // What the old attempt stored before the claim stays until attempt 2 replaces it; for 4 s more it trains and
  // reports further epochs, and none of them is stored.
  const oldEpochs = (rows: Epoch[]) => rows.filter((r) => r.attempt < onB.attempt).map((r) => r.epoch);
  const atClaim = Math.max(...oldEpochs(await epochsOf(jobId)));
  const csv = path.join(workDirs[holder] as string, 'jobs', jobId, 'a1', 'train', 'results.csv');
  const stale: number[] = [];
  const until = Date.now() + 4000;
  while (Date.now() < until) {
    stale.push(...oldEpochs(await epochsOf(jobId)).filter((epoch) => epoch > atClaim));
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  expect(stale).toEqual([]);
  const oldLast = readFileSync(csv, 'utf8').trim().split('\n').length - 1; // epochs the old attempt reached (header excluded)
  expect(oldLast).toBeGreaterThan(atClaim + 1);

  // Its agent and trainer frozen too (so they cannot notice the worker is gone), the worker killed and started again.
  for (const pid of orphans) process.kill(pid, 'SIGSTOP');
  await worker.kill('SIGKILL');
  workers[holder] = await startWorkerProcess(holder);
  expect(workers[holder]?.output()).toMatch(new RegExp(`killed trainers an earlier worker left running in .*${jobId}`));
  await waitFor('the old attempt\'s agent and trainer gone', () => orphans.filter((pid) => processesWith(MARKER).includes(pid)), (left) => left.length === 0, 20_000);

  const done = await finished(jobId);
  expect(done, JSON.stringify(done)).toMatchObject({ status: 'completed', worker_id: other, attempt: onB.attempt });
  const rows = await expectEveryEpochOnce(jobId, total);
  expect(rows.map((r) => r.attempt)).toEqual(rows.map((r) => (r.epoch <= resumedFrom ? onA.attempt : onB.attempt)));
  await waitFor('the model registered', () => getJob(jobId), (job) => Boolean(job.model_id), 20_000);
  expect(await modelsOf(jobId)).toHaveLength(1);
}

beforeAll(async () => {
  postgres = await startPrivatePostgres(); // a server of its own: the crash test stops and starts it
  schema = await createTestSchema('scaleout', { url: postgres.url });
  redis = await startTestRedis({ persist: true });
  dataDir = mkdtempSync(path.join(tmpdir(), 'yoloops-scale-out-'));
  for (const id of workerIds) workDirs[id] = mkdtempSync(path.join(tmpdir(), `yoloops-scale-out-${id}-`));
  ports.push(await freePort(), await freePort());
  balancer = await startBalancer(ports);
  const databaseUrl = new URL(schema.url);
  pgProxy = await startBalancer([Number(databaseUrl.port || 5432)], databaseUrl.hostname);
  databaseUrl.host = `127.0.0.1:${pgProxy.port}`;
  databaseUrl.searchParams.set('application_name', schema.schema); // so the test can cut exactly these servers' connections
  serverEnv = {
    ...TRAINER_ENV, YOLOOPS_DATA_DIR: dataDir, YOLOOPS_PUBLIC_URL: balancer.url, YOLOOPS_REDIS_URL: redis.url, YOLOOPS_WORKER_TIMEOUT_MS: '4000',
    YOLOOPS_DATABASE_URL: databaseUrl.href, YOLOOPS_DATABASE_SCHEMA: schema.schema, YOLOOPS_RATE_LIMITS: 'off', [MARKER_NAME]: MARKER_VALUE,
  };
  servers.push(...(await Promise.all(ports.map((port) => startServe(port, serverEnv)))));
  for (const id of workerIds) workers[id] = await startWorkerProcess(id);
  client = createClient({ baseUrl: balancer.url });
  const { dataset_id } = await client.datasets.upload({ data: await zipDirectory(fixturePath('datasets/coco8')), filename: 'coco8.zip' });
  expect(await client.datasets.prepare(dataset_id)).toMatchObject({ status: 'prepared' });
  datasetId = dataset_id;
}, 150_000);

afterAll(async () => {
  await client?.close();
  await Promise.all([...Object.values(workers), ...servers].map((p) => p.kill('SIGKILL', true)));
  killProcessGroupsWith(MARKER); // trainers and agents the killed workers left
  await balancer?.close();
  await pgProxy?.close();
  await redis?.close();
  await schema?.drop();
  await postgres?.close();
  for (const dir of [dataDir, ...Object.values(workDirs)]) if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('scale-out faults: 2 servers, 2 workers, PostgreSQL, Redis', () => {
  test('kill -9 of the worker running a job: its trainer dies with it, the other worker resumes from the checkpoint and completes; every epoch once, a late report ignored, one model', async () => {
    const total = 10;
    const { job_id: jobId } = await create(total);
    const onA = await runningWith(jobId, 2);
    const checkpoint = path.join(onA.run_dir, 'weights', 'last.pt');
    await waitFor('a checkpoint on the server', () => existsSync(checkpoint), (found) => found, 20_000);
    const holder = onA.worker_id as string;
    const other = workerIds.find((id) => id !== holder) as string;
    expect(workerIds).toContain(holder);
    await workers[holder]?.kill('SIGKILL');
    const mine = new Set(processesWith(`YOLOOPS_JOB_ID=${jobId}`));
    const orphans = processesWith(`YOLOOPS_WORKER_ID=${holder}`).filter((pid) => mine.has(pid));

    const onB = await waitFor('a new attempt on the other worker', () => getJob(jobId), (job) => job.attempt >= 2 && job.worker_id === other, 60_000);
    expect(onB.resumed_from).toBe(checkpoint);
    workers[holder] = await startWorkerProcess(holder); // same id and work dir
    // The agent watches its worker (YOLOOPS_AGENT_PARENT_PID) and takes its trainer down; the next test freezes it so a restart must.
    await waitFor('the dead worker\'s trainer and agent gone', () => orphans.filter((pid) => processesWith(MARKER).includes(pid)), (left) => left.length === 0, 20_000);

    const done = await finished(jobId);
    expect(done, JSON.stringify(done)).toMatchObject({ status: 'completed', worker_id: other, attempt: onB.attempt });
    const rows = await expectEveryEpochOnce(jobId, total);
    const resumedAt = Math.min(...rows.filter((r) => r.attempt === onB.attempt).map((r) => r.epoch));
    expect(resumedAt).toBeGreaterThan(1); // resumed from a checkpoint, not trained again from epoch 1
    expect(rows.map((r) => r.attempt)).toEqual(rows.map((r) => (r.epoch < resumedAt ? 1 : onB.attempt)));

    // What the old attempt would still send is acknowledged as ignored and changes nothing.
    const late = await fresh('POST', `${balancer.url}/api/model/train/notify/result`, { trainTaskId: jobId, epoch: total, loss: 123, attempt: 1 });
    expect(late.body).toContain('ignored');
    expect(await epochsOf(jobId)).toEqual(rows);
    const withModel = await waitFor('the model registered', () => getJob(jobId), (job) => Boolean(job.model_id), 20_000);
    expect(await modelsOf(jobId)).toHaveLength(1);
    expect(withModel.model_id).toBeTruthy();
    twoAttempts = { jobId, resumedAt, epochs: total };
  }, 150_000);

  test('a frozen worker (SIGSTOP, its trainer still training): the other takes over; the old attempt\'s live reports are ignored; the restarted worker kills the trainer it left', async () => {
    const total = 14;
    const { job_id: jobId } = await create(total);
    const onA = await runningWith(jobId, 2);
    const checkpoint = path.join(onA.run_dir, 'weights', 'last.pt');
    await waitFor('a checkpoint on the server', () => existsSync(checkpoint), (found) => found, 20_000);
    const holder = onA.worker_id as string;
    const worker = workers[holder] as CliProcess;
    process.kill(worker.child.pid as number, 'SIGSTOP'); // no heartbeats; its agent and trainer go on
    try {
      await frozenWorker(jobId, total, onA, holder);
    } finally {
      if (workers[holder] === worker) {
        await worker.kill('SIGKILL');
        workers[holder] = await startWorkerProcess(holder);
      }
    }
  }, 150_000);

  test('kill -9 of a server: the other serves through the balancer, the job completes, its live log stream from the survivor has every line once', async () => {
    const total = 8;
    const { job_id: jobId } = await create(total);
    await runningWith(jobId, 2);
    const survivor = createClient({ baseUrl: `http://127.0.0.1:${ports[1]}` });
    try {
      await killedServer(jobId, total, survivor);
    } finally {
      await survivor.close();
      servers[0] = await startServe(ports[0] as number, serverEnv);
    }
  }, 150_000);

  test('Redis restarted mid-run, and a job created while it is down: both complete, nothing lost', async () => {
    const total = 8;
    const { job_id: running } = await create(total);
    await runningWith(running, 2);
    await redis.stop();
    const { job_id: created } = await create(4);
    await redis.start();
    for (const jobId of [running, created]) {
      const done = await finished(jobId);
      expect(done, JSON.stringify(done)).toMatchObject({ status: 'completed', attempt: 1 });
    }
    await expectEveryEpochOnce(running, total);
    await expectEveryEpochOnce(created, 4);
  }, 150_000);

  test('PostgreSQL connections cut mid-run: the servers reconnect, every request keeps working, the job completes', async () => {
    const total = 8;
    const { job_id: jobId } = await create(total);
    await runningWith(jobId, 2);
    const cut = () => schema.admin<{ pid: number }>('SELECT pg_terminate_backend(pid) AS pid FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()', [schema.schema]);
    for (let round = 0; round < 2; round++) {
      expect((await cut()).length).toBeGreaterThanOrEqual(2); // both servers had connections open
      await new Promise((resolve) => setTimeout(resolve, 300));
      const answers = await Promise.all(range(1, 10).map(() => fresh('GET', `${balancer.url}/train/jobs/${jobId}`)));
      expect(answers.map((a) => a.status)).toEqual(range(1, 10).map(() => 200));
    }
    const done = await finished(jobId);
    expect(done, JSON.stringify(done)).toMatchObject({ status: 'completed' });
    await expectEveryEpochOnce(jobId, total);
  }, 150_000);

  test('PostgreSQL away for 3 s mid-run (open connections dropped, new ones refused), then back: the servers reconnect, the job completes', async () => {
    await databaseOutage(3000, () => pgProxy.cut(), () => pgProxy.restore());
  }, 150_000);

  test('PostgreSQL server crashed (immediate shutdown, every backend gone) and started again 2 s later: the servers reconnect, the job completes, every epoch once, one model', async () => {
    // pg_ctl start: a new postmaster runs crash recovery, then takes connections again.
    const jobId = await databaseOutage(2000, () => postgres.kill(), () => postgres.start());
    await waitFor('the model registered', () => getJob(jobId), (job) => Boolean(job.model_id), 20_000);
    expect(await modelsOf(jobId)).toHaveLength(1);
  }, 150_000);

  test('50 concurrent stop/resume calls over both servers: one consistent final state', async () => {
    const total = 10;
    const { job_id: jobId } = await create(total);
    await runningWith(jobId, 1);
    const taken = ports.map((port) => balancer.taken.get(port) ?? 0);
    const answers = await Promise.all(range(1, 50).map((i) => fresh('POST', `${balancer.url}/train/jobs/${jobId}/${i % 2 === 0 ? 'stop' : 'resume'}`)));
    expect(answers.filter((a) => a.status >= 500), JSON.stringify(answers.filter((a) => a.status >= 500))).toEqual([]);
    expect(ports.map((port, i) => (balancer.taken.get(port) ?? 0) - (taken[i] as number)).every((n) => n >= 10)).toBe(true);

    const settled = await waitFor('the job to settle', async () => {
      const first = await getJob(jobId);
      await new Promise((resolve) => setTimeout(resolve, 2500));
      const job = await getJob(jobId);
      return { job, same: `${first.status}/${first.attempt}` === `${job.status}/${job.attempt}` };
    }, ({ job, same }) => same && job.status !== 'queued', 60_000);
    const { job } = settled;
    expect(['running', 'stopped', 'completed']).toContain(job.status);
    const holders = async () => ((await (await fetch(`${balancer.url}/workers`)).json()) as { worker_id: string; jobs: { job_id: string }[] }[])
      .filter((w) => w.jobs.some((j) => j.job_id === jobId)).map((w) => w.worker_id);
    if (job.status === 'running') {
      await waitFor('exactly one trainer and one worker on it', async () => [trainersOf(jobId).length, (await holders()).length], ([t, w]) => t === 1 && w === 1, 15_000);
    } else {
      await waitFor('no trainer and no worker on it', async () => [trainersOf(jobId).length, (await holders()).length], ([t, w]) => t === 0 && w === 0, 15_000);
    }
    const rows = await epochsOf(jobId);
    expect(rows.map((r) => r.epoch)).toEqual(range(1, rows.length));
    if (job.status === 'stopped') await retried(() => client.training.resume(jobId));
    const done = await finished(jobId);
    expect(done, JSON.stringify(done)).toMatchObject({ status: 'completed' });
    await expectEveryEpochOnce(jobId, total);
  }, 150_000);
});
