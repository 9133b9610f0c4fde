import { execa } from 'execa';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createExecaTrainingExecutor } from '@yoloops/core/node';
import { describe, expect, test } from 'vitest';
import { forgetTrainer, lockWorkDir, reapOrphans, recordTrainer } from '../../src/worker/work-dir.js';
import { waitFor } from '../support/wait-for.js';
import { processLives, workerTestDir } from '../support/worker-kit.js';

describe('work dir', () => {
  test('reapOrphans kills the process group a dead worker noted, and only a group that is still that job\'s', async () => {
    const { root } = workerTestDir();
    const jobs = path.join(root, 'jobs');
    mkdirSync(path.join(jobs, 'job_x'), { recursive: true });
    // A "trainer" left behind: its own process group, carrying the job id as the executor sets it.
    const orphan = execa(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, env: { YOLOOPS_JOB_ID: 'job_x' }, reject: false });
    const pid = orphan.pid as number;
    // Until its exec the child still has this process's environment: reaping it then would rightly spare it.
    await waitFor('the orphan started', () => readFileSync(`/proc/${pid}/environ`, 'latin1').includes('YOLOOPS_JOB_ID=job_x'));
    recordTrainer(path.join(jobs, 'job_x', 'a1'), 'job_x', pid);
    // A note whose group is gone, and one naming job_y for a live group of another job (a recycled pid): neither is killed.
    const stranger = execa(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, env: { YOLOOPS_JOB_ID: 'job_z' }, reject: false });
    const strangerPid = stranger.pid as number;
    await waitFor('the stranger started', () => readFileSync(`/proc/${strangerPid}/environ`, 'latin1').includes('YOLOOPS_JOB_ID=job_z'));
    writeFileSync(path.join(jobs, 'job_x', 'a2.pid'), JSON.stringify({ job_id: 'job_x', pid: 2 ** 22 + 7 }));
    mkdirSync(path.join(jobs, 'job_y'));
    writeFileSync(path.join(jobs, 'job_y', 'a1.pid'), JSON.stringify({ job_id: 'job_y', pid: strangerPid }));
    try {
      expect(reapOrphans(jobs, createExecaTrainingExecutor())).toEqual(['job_x']);
      expect(processLives(strangerPid)).toBe(true);
    } finally {
      stranger.kill('SIGKILL');
      await stranger;
    }
    await orphan;
    await waitFor('the orphan gone', () => !processLives(pid));
    for (const note of ['job_x/a1.pid', 'job_x/a2.pid', 'job_y/a1.pid']) expect(existsSync(path.join(jobs, note))).toBe(false);
    expect(reapOrphans(path.join(root, 'nothing-here'), createExecaTrainingExecutor())).toEqual([]);
  });

  test('forgetTrainer drops the note', () => {
    const { root } = workerTestDir();
    recordTrainer(path.join(root, 'a1'), 'job_x', 123);
    forgetTrainer(path.join(root, 'a1'));
    expect(existsSync(path.join(root, 'a1.pid'))).toBe(false);
  });

  test('a work dir is locked once per process until released; a lock of a dead process is taken over', () => {
    const { root } = workerTestDir();
    const lock = lockWorkDir(root);
    expect(() => lockWorkDir(root)).toThrow(/is used by another worker of this process/);
    lock.release();
    writeFileSync(path.join(root, 'worker.lock'), String(2 ** 22 + 9));
    lockWorkDir(root).release();
    writeFileSync(path.join(root, 'worker.lock'), String(process.ppid));
    expect(() => lockWorkDir(root)).toThrow(new RegExp(`is used by another worker \\(pid ${process.ppid}\\)`));
  });
});
