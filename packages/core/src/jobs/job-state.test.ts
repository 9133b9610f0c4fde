import { describe, expect, test } from 'vitest';
import { InvalidStateError } from '../errors.js';
import type { Job, JobStatus } from './job.schema.js';
import { assertTransition, canTransition, isTerminal, RESUMABLE, transitionJob, TRANSITIONS } from './job-state.js';
import { createMemoryJobStore } from '../adapters/memory/memory-job-store.js';

const ALL: JobStatus[] = ['queued', 'running', 'completed', 'failed', 'stopped', 'crashed'];
const LEGAL: ReadonlyArray<[JobStatus, JobStatus]> = [
  ['queued', 'running'], ['queued', 'stopped'], ['queued', 'failed'],
  ['running', 'completed'], ['running', 'failed'], ['running', 'stopped'], ['running', 'crashed'],
  ['failed', 'queued'], ['stopped', 'queued'], ['crashed', 'queued'],
];

describe('job transition table', () => {
  test('allows exactly the documented moves (every pair checked)', () => {
    const got = ALL.flatMap((from) => ALL.filter((to) => canTransition(from, to)).map((to) => `${from}→${to}`));
    expect(got.sort()).toEqual(LEGAL.map(([from, to]) => `${from}→${to}`).sort());
  });

  test.each(LEGAL)('assertTransition accepts %s → %s', (from, to) => {
    expect(() => assertTransition(from, to)).not.toThrow();
  });

  test.each([
    { from: 'completed', to: 'queued' },
    { from: 'completed', to: 'running' },
    { from: 'queued', to: 'completed' },
    { from: 'queued', to: 'crashed' },
    { from: 'stopped', to: 'running' },
    { from: 'running', to: 'queued' },
    { from: 'running', to: 'running' },
  ] as Array<{ from: JobStatus; to: JobStatus }>)('assertTransition rejects $from → $to naming both states', ({ from, to }) => {
    let error: unknown;
    try {
      assertTransition(from, to, { jobId: 'job_1' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidStateError);
    expect((error as InvalidStateError).message).toBe(`cannot move job job_1 from "${from}" to "${to}"`);
    expect((error as InvalidStateError).details).toEqual({ from, to, job_id: 'job_1' });
  });

  test('a hint follows the states in the message', () => {
    expect(() => assertTransition('completed', 'queued', { hint: 'extend it instead' })).toThrow('cannot move a job from "completed" to "queued": extend it instead');
  });

  test('terminal statuses are those without a process; resume starts from stopped, failed and crashed', () => {
    expect(ALL.filter(isTerminal)).toEqual(['completed', 'failed', 'stopped', 'crashed']);
    expect([...RESUMABLE].sort()).toEqual(['crashed', 'failed', 'stopped']);
    expect(TRANSITIONS.completed).toEqual([]);
  });
});

describe('transitionJob', () => {
  test('refuses a from-list with an illegal move before touching the store, and passes legal ones through', async () => {
    const store = createMemoryJobStore();
    const job = { job_id: 'job_1', dataset_id: 'ds', version: 'v1', model_name: 'm', base_model_id: null, original_model_path: 'm', epochs: 1, imgsz: 640, batch: -1,
      status: 'running', created_at: 'T', log_file: '/l', run_dir: '/r', attempt: 1, command: [] } satisfies Job;
    await store.create(job);
    await expect(transitionJob(store, 'job_1', ['running', 'completed'], 'stopped')).rejects.toThrow('from "completed" to "stopped"');
    expect(await store.get('job_1')).toStrictEqual(job);
    expect(await transitionJob(store, 'job_1', ['running'], 'running', { pid: 1 })).toMatchObject({ status: 'running', pid: 1 });
    expect(await transitionJob(store, 'job_1', ['queued', 'running'], 'stopped')).toMatchObject({ status: 'stopped' });
  });
});
