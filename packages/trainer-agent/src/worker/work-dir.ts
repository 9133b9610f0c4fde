import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { InvalidStateError, type TrainingExecutor } from '@yoloops/core';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: unknown }).code === 'EPERM';
  }
};

/** Folders locked by workers of this process (they share its pid). */
const lockedHere = new Set<string>();

/**
 * Takes `<workDir>/worker.lock` for this process (its pid inside); throws `InvalidStateError` while another
 * live process holds it: two workers on one folder would take each other's trainers for orphans.
 */
export function lockWorkDir(workDir: string): { release(): void } {
  mkdirSync(workDir, { recursive: true });
  const file = path.join(workDir, 'worker.lock');
  if (lockedHere.has(file)) throw new InvalidStateError(`work dir ${workDir} is used by another worker of this process; give each worker its own work dir`, { reason: 'work_dir_in_use' });
  for (let round = 0; round < 2; round++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      lockedHere.add(file);
      return {
        release() {
          lockedHere.delete(file);
          rmSync(file, { force: true });
        },
      };
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(file, 'utf8'));
      if (Number.isSafeInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
        throw new InvalidStateError(`work dir ${workDir} is used by another worker (pid ${holder}); give each worker its own --work-dir`, { reason: 'work_dir_in_use', details: { pid: holder } });
      }
      rmSync(file, { force: true });
    }
  }
  throw new InvalidStateError(`could not lock work dir ${workDir}`, { reason: 'work_dir_in_use' });
}

/** Notes the process group of a running attempt in `<project>.pid`, so a restarted worker finds what it left running. */
export function recordTrainer(project: string, jobId: string, pid: number): void {
  writeFileSync(`${project}.pid`, JSON.stringify({ job_id: jobId, pid }));
}

/** Forgets the note of {@link recordTrainer}. */
export function forgetTrainer(project: string): void {
  rmSync(`${project}.pid`, { force: true });
}

/**
 * Kills the trainers an earlier worker process on this folder left running (it died without closing):
 * their attempts were handed to other workers, and an orphan would hold the GPU and report in vain.
 * Returns the job ids it killed.
 */
export function reapOrphans(jobsDir: string, executor: Pick<TrainingExecutor, 'isAlive'>): string[] {
  if (!existsSync(jobsDir)) return [];
  const killed: string[] = [];
  for (const job of readdirSync(jobsDir)) {
    const dir = path.join(jobsDir, job);
    for (const name of existsSync(dir) ? readdirSync(dir).filter((n) => /^a\d+\.pid$/.test(n)) : []) {
      const file = path.join(dir, name);
      try {
        const note = JSON.parse(readFileSync(file, 'utf8')) as { job_id?: unknown; pid?: unknown };
        if (typeof note.pid === 'number' && typeof note.job_id === 'string' && executor.isAlive(note.pid, note.job_id)) {
          process.kill(-note.pid, 'SIGKILL');
          killed.push(note.job_id);
        }
      } catch {
        // unreadable note or a group already gone: nothing to kill
      }
      rmSync(file, { force: true });
    }
  }
  return killed;
}
