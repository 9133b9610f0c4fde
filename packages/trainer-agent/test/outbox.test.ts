import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createTrainerAgent, openOutbox, resultEvent } from '../src/index.js';
import { spawnNode, PACKAGE_DIR } from './support/child.js';
import { startFakeNotifyServer, type FakeNotifyServer } from './support/fake-notify-server.js';
import { waitFor } from './support/wait-for.js';

const quiet = () => {};
const event = (epoch: number) => resultEvent('job', 1, epoch, { 'train/box_loss': epoch });
const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'outbox-'));
});

describe('outbox journal', () => {
  test('a torn last line (crash mid-append) is cut on open; earlier events survive and later appends parse', () => {
    const first = openOutbox(dir, 'job', quiet);
    [1, 2, 3].forEach((epoch) => first.append(event(epoch)));
    first.close();
    appendFileSync(first.files.events, '{"seq":4,"eventId":"job:1:epo');
    const second = openOutbox(dir, 'job', quiet);
    expect(second.pending().map((r) => r.eventId)).toEqual(['job:1:epoch:1', 'job:1:epoch:2', 'job:1:epoch:3']);
    expect(second.append(event(4))?.seq).toBe(4);
    second.close();
    expect(lines(first.files.events).map((line) => JSON.parse(line).seq)).toEqual([1, 2, 3, 4]);
  });

  test('settled events are compacted to tombstones: not replayed, acks emptied, their eventIds still recognised', () => {
    const first = openOutbox(dir, 'job', quiet);
    const records = [1, 2, 3].map((epoch) => first.append(event(epoch)));
    first.settle(records[0]!, 'acked');
    first.settle(records[1]!, 'rejected');
    first.close();
    const second = openOutbox(dir, 'job', quiet);
    expect(second.pending().map((r) => r.eventId)).toEqual(['job:1:epoch:3']);
    expect(readFileSync(second.files.acks, 'utf8')).toBe('');
    expect(lines(second.files.events).map((line) => JSON.parse(line))).toMatchObject([
      { seq: 1, settled: 'acked' }, { seq: 2, settled: 'rejected' }, { seq: 3, body: { epoch: 3 } },
    ]);
    expect(second.append(event(1))).toBeUndefined();
    expect(second.append(event(4))?.seq).toBe(4);
    second.close();
  });

  test('a crash between emptying the acks and the rename replays settled events (harmless) and loses none', () => {
    const first = openOutbox(dir, 'job', quiet);
    const records = [1, 2].map((epoch) => first.append(event(epoch)));
    first.settle(records[0]!, 'acked');
    first.close();
    writeFileSync(`${first.files.events}.tmp`, 'half-written compaction');
    writeFileSync(first.files.acks, '');
    const second = openOutbox(dir, 'job', quiet);
    expect(second.pending().map((r) => r.eventId)).toEqual(['job:1:epoch:1', 'job:1:epoch:2']);
    second.close();
  });

  test('task ids that are not plain names cannot escape the outbox folder', () => {
    const outbox = openOutbox(dir, '../../etc/passwd', quiet);
    expect(path.dirname(outbox.files.events)).toBe(dir);
    outbox.close();
  });
});

describe('outbox crash safety with a real child process', () => {
  let server: FakeNotifyServer;
  beforeEach(async () => {
    server = await startFakeNotifyServer();
  });
  afterEach(() => server.stop());

  test('kill -9 mid-append, restart: every journaled epoch reaches the server once, in order; at most the in-flight one is re-sent', async () => {
    const child = spawnNode(path.join(PACKAGE_DIR, 'test', 'support', 'journal-forever.ts'), [server.url, dir, 'job']);
    try {
      await waitFor('300 journaled epochs', () => (child.stdout().match(/journaled/g)?.length ?? 0) >= 300);
    } finally {
      child.process.kill('SIGKILL');
    }
    await child.exited;
    const journaled = [...child.stdout().matchAll(/journaled (\d+)\n/g)].map((m) => Number(m[1]));
    const agent = createTrainerAgent({ serverUrl: server.url, taskId: 'job', outboxDir: dir, retry: { baseMs: 10, capMs: 100 }, log: quiet });
    expect(await agent.flush(20_000)).toBe(true);
    await agent.close();
    const epochs = server.stored.map((e) => e.body.epoch as number);
    expect(epochs.length).toBeGreaterThanOrEqual(Math.max(...journaled));
    expect(epochs).toEqual(Array.from({ length: epochs.length }, (_, i) => i + 1));
    const resent = server.stored.filter((e) => server.acks(e.eventId) > 1);
    expect(resent.length).toBeLessThanOrEqual(1);
  });
});
