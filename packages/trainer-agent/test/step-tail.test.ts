import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { stepsEvent } from '../src/events.js';
import { startStepTail, type StepBatch, type StepTail } from '../src/step-tail.js';
import { waitFor } from './support/wait-for.js';

let dir: string;
let tail: StepTail | undefined;
let batches: StepBatch[];
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'step-tail-'));
  batches = [];
});
afterEach(async () => {
  await tail?.stop();
  tail = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const start = () => (tail = startStepTail({ runDir: dir, pollMs: 20, log: () => {}, onSteps: (batch) => batches.push(batch) }));
/** A LLaMA-Factory trainer_log.jsonl line (LogCallback.on_log). */
const line = (step: number, extra: Record<string, number>) =>
  `${JSON.stringify({ current_steps: step, total_steps: 40, ...extra, epoch: step / 20, percentage: (step / 40) * 100, elapsed_time: '0:00:01', remaining_time: '0:00:09' })}\n`;
const LOG = () => path.join(dir, 'trainer_log.jsonl');
const steps = () => batches.flatMap((b) => b.rows.map((r) => r.step));

describe('startStepTail: trainer_log.jsonl', () => {
  test('hands on complete lines once, waits for a torn line, merges a step\'s eval line into its train line, and reports progress', async () => {
    start();
    writeFileSync(LOG(), `${line(10, { loss: 2.5, lr: 3e-5 })}${line(20, { loss: 2.1, lr: 2.8e-5 }).slice(0, 30)}`);
    await waitFor('step 10', () => steps().length === 1);
    expect(batches[0]).toStrictEqual({
      rows: [{ step: 10, values: { loss: 2.5, lr: 3e-5, epoch: 0.5 } }],
      progress: { percentage: 25, current_steps: 10, total_steps: 40, remaining_time: '0:00:09' }, source: 'trainer_log.jsonl',
    });
    appendFileSync(LOG(), `${line(20, { loss: 2.1, lr: 2.8e-5 }).slice(30)}${line(20, { eval_loss: 2.3 })}`);
    await waitFor('step 20', () => steps().length === 2);
    expect(batches[1]?.rows).toStrictEqual([{ step: 20, values: { loss: 2.1, lr: 2.8e-5, epoch: 1, eval_loss: 2.3 } }]);
    expect(tail?.found()).toBe(true);
  });

  test('a truncated log is read again from its start; steps it repeats unchanged are not handed on twice', async () => {
    start();
    writeFileSync(LOG(), line(10, { loss: 2.5 }) + line(20, { loss: 2.1 }) + line(30, { loss: 1.9 }));
    await waitFor('three steps', () => steps().length === 3);
    writeFileSync(LOG(), line(10, { loss: 2.5 }) + line(20, { loss: 1.7 }));
    await waitFor('the changed step 20', () => steps().length === 4);
    await tail?.stop();
    expect(steps()).toEqual([10, 20, 30, 20]);
    expect(batches.at(-1)?.rows).toStrictEqual([{ step: 20, values: { loss: 1.7, epoch: 1 } }]);
  });

  test('a recreated log (new inode, as a resumed LLaMA-Factory run writes it) is read from its start even when it is longer', async () => {
    start();
    writeFileSync(LOG(), line(10, { loss: 2.5 }));
    await waitFor('step 10', () => steps().length === 1);
    const before = statSync(LOG()).ino;
    const next = path.join(dir, 'next.jsonl');
    writeFileSync(next, line(10, { loss: 2.4 }) + line(20, { loss: 2.0 }) + line(30, { loss: 1.8 }));
    renameSync(next, LOG());
    expect(statSync(LOG()).ino).not.toBe(before);
    await waitFor('steps of the new log', () => steps().length === 4);
    expect(batches.at(-1)?.rows.map((r) => [r.step, r.values.loss])).toEqual([[10, 2.4], [20, 2.0], [30, 1.8]]);
  });

  test('NaN and inf arrive as null; unreadable lines and lines without a step are skipped', async () => {
    start();
    writeFileSync(LOG(), `not json\n${line(5, { loss: Number.NaN })}{"foo": 1}\n${line(6, { loss: 1 })}`.replace('null', 'NaN'));
    await waitFor('steps 5 and 6', () => steps().length === 2);
    expect(batches.flatMap((b) => b.rows)).toStrictEqual([{ step: 5, values: { loss: null, epoch: 0.25 } }, { step: 6, values: { loss: 1, epoch: 0.3 } }]);
  });
});

describe('startStepTail: trainer_state.json (HF Trainer, axolotl)', () => {
  test('without trainer_log.jsonl, the newest checkpoint\'s log_history: one row per step, learning_rate read as lr', async () => {
    const state = (step: number) => ({
      global_step: step, max_steps: 40,
      log_history: [
        { loss: 2.5, grad_norm: 0.9, learning_rate: 3e-5, epoch: 0.5, step: 10 },
        { eval_loss: 2.6, eval_runtime: 1.2, epoch: 0.5, step: 10 },
        ...(step >= 20 ? [{ loss: 2.0, grad_norm: 0.7, learning_rate: 2e-5, epoch: 1, step: 20 }] : []),
      ],
    });
    mkdirSync(path.join(dir, 'checkpoint-10'));
    writeFileSync(path.join(dir, 'checkpoint-10/trainer_state.json'), JSON.stringify(state(10)));
    start();
    await waitFor('step 10', () => steps().length === 1);
    expect(batches[0]).toStrictEqual({
      rows: [{ step: 10, values: { loss: 2.5, grad_norm: 0.9, lr: 3e-5, epoch: 0.5, eval_loss: 2.6, eval_runtime: 1.2 } }],
      progress: { percentage: 25, current_steps: 10, total_steps: 40 }, source: 'trainer_state.json',
    });
    mkdirSync(path.join(dir, 'checkpoint-20'));
    writeFileSync(path.join(dir, 'checkpoint-20/trainer_state.json'), JSON.stringify(state(20)));
    await waitFor('step 20', () => steps().length === 2);
    expect(batches.at(-1)?.rows.map((r) => r.step)).toEqual([20]);
    expect(batches.at(-1)?.progress?.percentage).toBe(50);
  });

  test('a run with neither file is not a fine-tune run', async () => {
    start();
    await tail?.stop();
    expect(tail?.found()).toBe(false);
    expect(batches).toEqual([]);
  });
});

describe('stepsEvent', () => {
  test('the same batch has the same eventId (journaled once); a grown step a new one; the route is the job\'s', () => {
    const rows = [{ step: 10, values: { loss: 2.5 } }];
    const a = stepsEvent('job_1', 1, rows);
    expect(stepsEvent('job_1', 1, [{ step: 10, values: { loss: 2.5 } }]).eventId).toBe(a.eventId);
    expect(stepsEvent('job_1', 1, [{ step: 10, values: { loss: 2.5, eval_loss: 2.6 } }]).eventId).not.toBe(a.eventId);
    expect(stepsEvent('job_1', 2, rows).eventId).not.toBe(a.eventId);
    expect(a).toMatchObject({ path: '/api/agent/tasks/job_1/steps', body: { rows, attempt: 1, eventId: a.eventId } });
    expect(() => stepsEvent('job_1', 1, Array.from({ length: 1001 }, (_, i) => ({ step: i, values: {} })))).toThrow(/at most 1000/);
  });
});
