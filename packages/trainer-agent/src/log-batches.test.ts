import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { createTrainerAgent } from './agent.js';
import { logsEvent } from './events.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('reportLogLines', () => {
  test('numbers batches per attempt and goes on after a restart instead of repeating a number the server has stored', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'agent-logs-'));
    dirs.push(dir);
    // Nothing listens on port 1: every batch stays pending in the journal.
    const open = (attempt: number) => createTrainerAgent({ serverUrl: 'http://127.0.0.1:1', taskId: 'job_1', attempt, outboxDir: dir, log: () => {}, retry: { baseMs: 60_000, capMs: 60_000 } });
    const first = open(1);
    await first.reportLogLines(['a', 'b']);
    await first.reportLogLines(['c']);
    await first.close();
    const again = open(1);
    await again.reportLogLines(['d']);
    await again.close();
    const next = open(2);
    await next.reportLogLines(['e']);
    await next.close();
    const { openOutbox } = await import('./outbox.js');
    const outbox = openOutbox(dir, 'job_1', () => {});
    expect(outbox.pending().map((r) => [r.eventId, r.body.seq, r.body.lines])).toEqual([
      ['job_1:1:logs:1', 1, ['a', 'b']], ['job_1:1:logs:2', 2, ['c']], ['job_1:1:logs:3', 3, ['d']], ['job_1:2:logs:1', 1, ['e']],
    ]);
    outbox.close();
  });

  test('a batch is routed to the job\'s logs route and refuses more than 500 lines', () => {
    expect(logsEvent('a/b', 1, 1, ['x'])).toEqual({ eventId: 'a/b:1:logs:1', path: '/api/agent/tasks/a%2Fb/logs', body: { attempt: 1, seq: 1, lines: ['x'], eventId: 'a/b:1:logs:1' } });
    expect(() => logsEvent('j', 1, 1, Array.from({ length: 501 }, () => 'x'))).toThrow(/at most 500 lines/);
    expect(() => logsEvent('j', 1, 0, [])).toThrow(/positive integer/);
  });
});
