import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createTrainerAgent, type TrainerAgent, type TrainerAgentOptions } from '../src/index.js';
import { startFakeNotifyServer, type FakeNotifyServer } from './support/fake-notify-server.js';
import { waitFor } from './support/wait-for.js';

let server: FakeNotifyServer;
let dir: string;
let logs: string[];
const agents: TrainerAgent[] = [];

function agent(options: Partial<TrainerAgentOptions> = {}): TrainerAgent {
  const created = createTrainerAgent({ serverUrl: server.url, taskId: 'job', outboxDir: dir, retry: { baseMs: 10, capMs: 100 }, log: (l) => logs.push(l), ...options });
  agents.push(created);
  return created;
}
const epochsStored = () => server.stored.filter((e) => e.path.endsWith('/result')).map((e) => e.body.epoch);
const requestsFor = (eventId: string) => server.requests.filter((r) => r.eventId === eventId);

beforeEach(async () => {
  server = await startFakeNotifyServer();
  dir = mkdtempSync(path.join(tmpdir(), 'agent-'));
  logs = [];
});
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
  await server.stop();
});

describe('createTrainerAgent delivery', () => {
  test('server down while 10 epochs are reported: after it returns, exactly those 10 are stored once each, in order (D6)', async () => {
    await server.stop();
    const a = agent();
    for (let epoch = 1; epoch <= 10; epoch++) await a.reportEpoch(epoch, { 'train/box_loss': 1 / epoch });
    await waitFor('three failed sends', () => logs.filter((l) => l.includes('failed')).length >= 3);
    expect(server.stored).toEqual([]);
    await server.start();
    expect(await a.flush(15_000)).toBe(true);
    expect(epochsStored()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(server.stored.every((e) => server.acks(e.eventId) === 1)).toBe(true);
  });

  test('lost acknowledgement three times: one stored row, the resends answered 200 (D7)', async () => {
    server.fail({ kind: 'lost-ack' }, 3, (body) => body.epoch === 2);
    const a = agent();
    for (const epoch of [1, 2, 3]) await a.reportEpoch(epoch, { loss: epoch });
    expect(await a.flush(15_000)).toBe(true);
    expect(epochsStored()).toEqual([1, 2, 3]);
    expect(requestsFor('job:1:epoch:2').map((r) => r.answer)).toEqual(['lost-ack', 'lost-ack', 'lost-ack', 200]);
  });

  test('500s and dropped connections are retried until stored', async () => {
    server.fail({ kind: 'status', status: 500 }, 2);
    server.fail({ kind: 'drop' }, 2);
    const a = agent();
    await a.reportStatus('running');
    expect(await a.flush(15_000)).toBe(true);
    expect(requestsFor('job:1:status:2').map((r) => r.answer)).toEqual([500, 500, 'dropped', 'dropped', 200]);
  });

  test('429 with Retry-After: 1 waits at least that long before the retry', async () => {
    server.fail({ kind: 'status', status: 429, retryAfter: '1' }, 1);
    const a = agent();
    await a.reportEpoch(1, { loss: 1 });
    expect(await a.flush(15_000)).toBe(true);
    const [first, second] = requestsFor('job:1:epoch:1');
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
  });

  test('a 4xx is a permanent rejection: logged with the server msg, dropped, never retried, later events still delivered', async () => {
    server.fail({ kind: 'status', status: 400, msg: 'epoch out of range' }, 100, (body) => body.epoch === 2);
    const a = agent();
    for (const epoch of [1, 2, 3]) await a.reportEpoch(epoch, { loss: epoch });
    expect(await a.flush(15_000)).toBe(true);
    expect(epochsStored()).toEqual([1, 3]);
    expect(requestsFor('job:1:epoch:2')).toHaveLength(1);
    expect(logs.some((l) => l.includes('rejected job:1:epoch:2') && l.includes('epoch out of range'))).toBe(true);
    await a.close();
    const again = agent();
    expect(await again.flush(1000)).toBe(true);
    expect(requestsFor('job:1:epoch:2')).toHaveLength(1);
  });

  test('a new agent resumes what a closed one left un-acked; numeric task ids travel as strings, with the bearer token', async () => {
    await server.stop();
    const first = agent({ taskId: 42, token: 's3cret' });
    await first.reportStatus('running');
    await first.reportEpoch(1, { loss: 0.5 });
    await first.close();
    await server.start();
    const second = agent({ taskId: 42, token: 's3cret' });
    expect(await second.flush(15_000)).toBe(true);
    expect(server.stored.map((e) => e.body.trainTaskId)).toEqual(['42', '42']);
    expect(server.stored.map((e) => e.eventId)).toEqual(['42:1:status:2', '42:1:epoch:1']);
    expect(server.requests.every((r) => r.authorization === 'Bearer s3cret')).toBe(true);
  });

  test('the same epoch reported again in one attempt (even after a restart) is journaled once; a new attempt sends it again', async () => {
    const a = agent();
    await a.reportEpoch(3, { loss: 1 });
    await a.reportEpoch(3, { loss: 1 });
    expect(await a.flush(15_000)).toBe(true);
    await a.close();
    const restarted = agent();
    await restarted.reportEpoch(3, { loss: 1 });
    await restarted.close();
    const resumed = agent({ attempt: 2 });
    await resumed.reportEpoch(3, { loss: 0.9 });
    expect(await resumed.flush(15_000)).toBe(true);
    expect(server.stored.map((e) => e.eventId)).toEqual(['job:1:epoch:3', 'job:2:epoch:3']);
  });

  test('flush gives up at its timeout while the server is down, and reports after close are refused', async () => {
    await server.stop();
    const a = agent();
    await a.reportEpoch(1, { loss: 1 });
    expect(await a.flush(300)).toBe(false);
    await a.close();
    await expect(a.reportEpoch(2, {})).rejects.toThrow(/closed/);
  });
});
