import { Queue, Worker, type Job as BullJob } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { CoreError } from '../../errors.js';
import type { JobDispatcher } from '../../jobs/job-dispatcher.port.js';
import { createMemoryWorkerStore } from '../memory/memory-worker-store.js';
import { createJobWorld, waitFor } from '../../../test/support/job-test-kit.js';
import { freePort, startTestRedis, type TestRedis } from '../../../test/support/redis-server.js';
import { createBullmqJobDispatcher } from './bullmq-job-dispatcher.js';

let redis: TestRedis;
const opened: Array<{ close(): Promise<unknown> }> = [];
beforeAll(async () => {
  redis = await startTestRedis();
});
afterEach(async () => {
  for (const item of opened.splice(0).reverse()) await item.close().catch(() => undefined);
});
afterAll(async () => {
  await redis.close();
});

const connection = () => ({ host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null });
const queue = (name: string) => {
  const q = new Queue(name, { connection: connection() });
  opened.push(q);
  return q;
};
const dispatcher = (errors: Error[] = [], timeoutMs = 1000): JobDispatcher => {
  const d = createBullmqJobDispatcher({ url: redis.url, timeoutMs, onError: (e) => errors.push(e) });
  opened.push(d);
  return d;
};
/** A BullMQ worker of the test that records what it received. */
const consume = (name: string, seen: BullJob[], handle: (job: BullJob) => Promise<unknown> = async () => 'done') => {
  const worker = new Worker(name, async (job) => {
    seen.push(job);
    return handle(job);
  }, { connection: connection() });
  opened.push(worker);
  return worker;
};

describe('BullMQ job dispatcher (real redis-server)', () => {
  test('a dispatch is one message per attempt on its label queue, removed once done; a re-delivery is a second id', async () => {
    const d = dispatcher();
    await d.dispatch({ job_id: 'job_a', attempt: 1, worker_labels: { zone: 'eu', gpu: 'a100' } });
    await d.dispatch({ job_id: 'job_a', attempt: 1, worker_labels: { gpu: 'a100', zone: 'eu' } });
    await d.dispatch({ job_id: 'job_a', attempt: 1, worker_labels: { gpu: 'a100', zone: 'eu' } }, { redelivery: true });
    const labelled = queue('train.gpu=a100+zone=eu');
    expect(await labelled.getWaitingCount()).toBe(2);
    expect((await labelled.getJob('job_a.1'))?.data).toEqual({ job_id: 'job_a', attempt: 1 });
    expect(await labelled.getJob('job_a.1.r')).toBeDefined();
    expect(await queue('train').getWaitingCount()).toBe(0);

    const seen: BullJob[] = [];
    consume('train.gpu=a100+zone=eu', seen);
    await waitFor('both messages consumed', async () => seen.length === 2 && (await labelled.getJobCounts('completed', 'waiting', 'active')).completed === 0 && (await labelled.getWaitingCount()) === 0);
    expect(seen.map((j) => j.id).sort()).toEqual(['job_a.1', 'job_a.1.r']);
    await waitFor('the finished messages removed', async () => (await labelled.getJob('job_a.1')) === undefined);
    // Removed once done, so the watchdog can send the same attempt again (Redis lost the claim's effect, or nobody took it).
    await d.dispatch({ job_id: 'job_a', attempt: 1, worker_labels: { gpu: 'a100', zone: 'eu' } });
    await waitFor('the message sent again', () => seen.length === 3);
  });

  test('Redis away: a dispatch rejects within its timeout and errors are reported, not thrown; after a restart it works again', async () => {
    const errors: Error[] = [];
    const d = dispatcher(errors, 500);
    await d.dispatch({ job_id: 'job_b', attempt: 1 });
    await redis.stop();
    try {
      const error = await d.dispatch({ job_id: 'job_b', attempt: 2 }).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(CoreError);
      expect((error as CoreError).code).toBe('EXTERNAL_FAILURE');
      await waitFor('a connection error reported', () => errors.length > 0);
    } finally {
      await redis.start();
    }
    await waitFor('the dispatch working again', () => d.dispatch({ job_id: 'job_b', attempt: 3 }).then(() => true, () => false), 15_000);
    expect(await queue('train').getJob('job_b.3')).toBeDefined();
  });

  test('an unreachable Redis is an EXTERNAL_FAILURE naming where, never the password', async () => {
    const port = await freePort();
    const d = createBullmqJobDispatcher({ url: `redis://:sekrit-pass@127.0.0.1:${port}`, timeoutMs: 500, onError: () => undefined });
    opened.push(d);
    const error = await d.dispatch({ job_id: 'job_c', attempt: 1 }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(CoreError);
    expect((error as CoreError).reason).toBe('redis_unavailable');
    expect((error as CoreError).message).toContain(`redis://127.0.0.1:${port}`);
    expect((error as CoreError).message).not.toContain('sekrit');
  });

  test('end to end: a created job reaches a BullMQ consumer of its label queue, whose claim runs it on that worker', async () => {
    const world = await createJobWorld();
    opened.push({ close: world.cleanup });
    const service = world.service({ dispatch: { dispatcher: dispatcher(), workers: createMemoryWorkerStore() } });
    const workers = service.workers!;
    await workers.heartbeat('w-1', { labels: { gpu: 'a100' }, concurrency: 1 });
    const seen: BullJob[] = [];
    const orders: unknown[] = [];
    consume('train.gpu=a100', seen, async (message) => {
      orders.push(await workers.claim('w-1', message.data));
      return 'claimed';
    });
    const job = await service.create({ dataset_id: 'ds_1', worker_labels: { gpu: 'a100' } });
    const running = await waitFor('the job claimed', async () => {
      const current = await service.get(job.job_id);
      return current.status === 'running' ? current : undefined;
    });
    expect(running).toMatchObject({ worker_id: 'w-1', attempt: 1 });
    expect(orders).toMatchObject([{ job_id: job.job_id, attempt: 1 }]);
    expect(seen.map((m) => m.id)).toEqual([`${job.job_id}.1`]);
  });
});
