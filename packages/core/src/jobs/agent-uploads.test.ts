import { Readable } from 'node:stream';
import { afterEach, describe, expect, test } from 'vitest';
import { createMemoryLogBus } from '../adapters/memory/memory-log-bus.js';
import { createJobWorld } from '../../test/support/job-test-kit.js';
import { jobKeys } from './job-paths.js';
import { readLogChunk } from './job-logs.js';
import type { LogBusMessage } from './log-bus.port.js';

const A = '9f1c2b3a4d5e6f708192a3b4c5d6e7f8';

let world: Awaited<ReturnType<typeof createJobWorld>>;
afterEach(async () => world.cleanup());

/** A job service with a shared in-process bus and an external job A moved on to `attempt`. */
async function open(attempt = 1, maxCheckpointBytes?: number) {
  world = await createJobWorld({ sqlite: true });
  const logBus = createMemoryLogBus();
  const jobs = world.service({ logBus, ...(maxCheckpointBytes === undefined ? {} : { maxCheckpointBytes }) });
  await jobs.reportStatus(A, { statusType: 2 });
  if (attempt > 1) await world.jobs.update(A, { attempt });
  const heard: LogBusMessage[] = [];
  await logBus.subscribe(A, (message) => heard.push(message));
  const log = async () => (await world.blobs.stat(jobKeys(A).log)) ? (await world.blobs.readBytes(jobKeys(A).log)).toString() : '';
  return { jobs, heard, log };
}

describe('appendLogs: shipped trainer output', () => {
  test('appends cleaned lines in order, once per (attempt, seq), and announces each append with its byte range', async () => {
    const { jobs, heard, log } = await open();
    expect(await jobs.appendLogs(A, { attempt: 1, seq: 1, lines: ['Epoch 1/3', 'bar 10%\rbar 100%', '\u0000loss 0.5  ', ''] })).toMatchObject({ stored: true, lines: 4 });
    expect(await jobs.appendLogs(A, { attempt: 1, seq: 1, lines: ['Epoch 1/3'] })).toMatchObject({ stored: false, note: 'already stored: batch 1 of attempt 1' });
    expect(await jobs.appendLogs(A, { attempt: 1, seq: 2, lines: ['Epoch 2/3\r\n'] })).toMatchObject({ stored: true, lines: 1 });
    expect(await log()).toBe('Epoch 1/3\nbar 10%\nbar 100%\nloss 0.5\nEpoch 2/3\n');
    expect(heard).toEqual([
      { attempt: 1, lines: ['Epoch 1/3', 'bar 10%', 'bar 100%', 'loss 0.5'], offset: 0, end: 36 },
      { attempt: 1, lines: ['Epoch 2/3'], offset: 36, end: 46 },
    ]);
    // What the bus said is exactly what a reader of the stored log finds at that offset.
    const chunk = await readLogChunk(world.blobs, jobKeys(A).log, 36);
    expect(chunk).toMatchObject({ lines: ['Epoch 2/3'], offset: 46 });
  });

  test('concurrent batches of one job are appended whole, one after the other', async () => {
    const { jobs, log } = await open();
    await Promise.all(Array.from({ length: 20 }, (_, i) => jobs.appendLogs(A, { attempt: 1, seq: i + 1, lines: [`line ${i + 1}`] })));
    const lines = (await log()).trim().split('\n');
    expect(lines).toHaveLength(20);
    expect(new Set(lines).size).toBe(20);
  });

  test('an older attempt is acknowledged and ignored; a newer attempt starts its own batch count; ahead of the job is refused', async () => {
    const { jobs, log } = await open(2);
    expect(await jobs.appendLogs(A, { attempt: 1, seq: 9, lines: ['late line of a killed worker'] })).toMatchObject({ stored: false, note: 'ignored: upload from attempt 1, the job is on attempt 2' });
    expect(await jobs.appendLogs(A, { attempt: 2, seq: 1, lines: ['attempt 2 line'] })).toMatchObject({ stored: true });
    await world.jobs.update(A, { attempt: 3 });
    expect(await jobs.appendLogs(A, { attempt: 3, seq: 1, lines: ['attempt 3 line'] })).toMatchObject({ stored: true });
    await expect(jobs.appendLogs(A, { attempt: 4, seq: 1, lines: ['x'] })).rejects.toMatchObject({ code: 'INVALID_STATE', reason: 'attempt_ahead' });
    expect(await log()).toBe('attempt 2 line\nattempt 3 line\n');
  });

  test('bad batches name the problem; an unknown job is NOT_FOUND', async () => {
    const { jobs } = await open();
    await expect(jobs.appendLogs(A, { attempt: 1, seq: 0, lines: [] })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/seq must be a positive integer/) });
    await expect(jobs.appendLogs(A, { attempt: 1, seq: 1, lines: [42 as unknown as string] })).rejects.toMatchObject({ message: 'lines[0] must be a string' });
    await expect(jobs.appendLogs(A, { attempt: 1, seq: 1, lines: Array.from({ length: 2001 }, () => 'x') })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(jobs.appendLogs('job_20240101_000000_deadbeef', { attempt: 1, seq: 1, lines: ['x'] })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('storeCheckpoint: weights/last.pt of a remote run', () => {
  const body = (text: string) => Readable.from([Buffer.from(text)]);
  const lastPt = async () => (await world.blobs.readBytes(jobKeys(A).lastPt)).toString();

  test('stores the current attempt\'s upload as last.pt, replacing the one before; an older attempt\'s is drained and ignored', async () => {
    const { jobs } = await open(2);
    expect(await jobs.storeCheckpoint(A, 2, body('weights after epoch 3'))).toEqual({ stored: true, size: 21, note: 'ok' });
    expect(await jobs.storeCheckpoint(A, 2, body('weights after epoch 4'))).toMatchObject({ stored: true });
    const stale = body('weights of the killed worker');
    expect(await jobs.storeCheckpoint(A, 1, stale)).toEqual({ stored: false, size: 0, note: 'ignored: upload from attempt 1, the job is on attempt 2' });
    expect(stale.readableEnded || stale.readableFlowing).toBeTruthy();
    expect(await lastPt()).toBe('weights after epoch 4');
    expect((await world.blobs.list(jobKeys(A).dir)).filter((key) => key.includes('checkpoint-upload'))).toEqual([]);
  });

  test('a checkpoint over the cap is TOO_LARGE and leaves the stored one whole', async () => {
    const { jobs } = await open(1, 16);
    await jobs.storeCheckpoint(A, 1, body('small weights'));
    await expect(jobs.storeCheckpoint(A, 1, body('x'.repeat(17)))).rejects.toMatchObject({ code: 'TOO_LARGE' });
    expect(await lastPt()).toBe('small weights');
    expect((await world.blobs.list(jobKeys(A).dir)).filter((key) => key.includes('checkpoint-upload'))).toEqual([]);
  });

  test('a resume while the bytes arrive makes the upload stale: it is not stored', async () => {
    const { jobs } = await open();
    const slow = new Readable({ read() {} });
    const upload = jobs.storeCheckpoint(A, 1, slow);
    slow.push('old attempt weights');
    await new Promise((resolve) => setTimeout(resolve, 20));
    await world.jobs.update(A, { attempt: 2 });
    slow.push(null);
    expect(await upload).toMatchObject({ stored: false, note: 'ignored: upload from attempt 1, the job is on attempt 2' });
    expect(await world.blobs.stat(jobKeys(A).lastPt)).toBeUndefined();
  });
});
