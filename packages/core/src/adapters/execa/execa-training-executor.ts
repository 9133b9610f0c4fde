import { once } from 'node:events';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { execa, type Result } from 'execa';
import { CoreError } from '../../errors.js';
import { describeMissingProgram } from '../../jobs/trainer-command.js';
import type { StopOptions, TrainingExecutor, TrainingExitListener, TrainingSpec } from '../../jobs/training-executor.port.js';
import { groupAlive, readLogTail, signalGroup, waitUntil } from './process-group.js';

interface Child {
  pid: number;
  done: Promise<void>;
}

const quote = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : JSON.stringify(arg));

/** Spawns `spec.argv` in a new process group with stdout and stderr on `fd` (the log), never through this process. */
function spawnInGroup(spec: TrainingSpec, logFd: number) {
  const [program = '', ...args] = spec.argv;
  // execa's types list only fds 3–9 for stdout/stderr; at run time any open fd is handed to the child as is.
  const fd = logFd as 3;
  const env = { ...spec.env, YOLOOPS_JOB_ID: spec.jobId };
  return execa(program, args, { cwd: spec.cwd, env, detached: true, cleanup: false, stdin: 'ignore', stdout: fd, stderr: fd, reject: false, windowsHide: true });
}

function notStarted(spec: TrainingSpec, result: Result): CoreError {
  const program = spec.argv[0] ?? '';
  const code = typeof result.code === 'string' ? result.code : undefined;
  const missing = code === 'ENOENT' || code === 'EACCES';
  // A missing program gets the same what-to-install text as the job's error, so the log people read says it too.
  const message = missing ? describeMissingProgram(program, code) : `could not start "${program}": ${code ?? result.shortMessage}`;
  return new CoreError('EXTERNAL_FAILURE', message, {
    reason: missing ? 'program_not_found' : 'spawn_failed',
    details: { program, ...(code === undefined ? {} : { errno: code }) },
    cause: result.cause,
  });
}

/**
 * `TrainingExecutor` for the local machine: each job runs detached in its own process group with
 * stdout and stderr appended straight to its log file (no output passes through, or is held by, the
 * server, and the trainer keeps running and logging if the server dies). Stop is SIGTERM to the group
 * (SIGINT before it when asked), then SIGKILL after the grace period; when the leader exits, members left
 * in its group are killed.
 * @example const executor = createExecaTrainingExecutor();
 */
export function createExecaTrainingExecutor(): TrainingExecutor {
  const children = new Map<string, Child>();
  const listeners = new Set<TrainingExitListener>();

  /** Reports the exit once the leader is gone, after killing whatever it left in its group. */
  const watch = (spec: TrainingSpec, pid: number, subprocess: ReturnType<typeof spawnInGroup>): Child => ({
    pid,
    done: subprocess.then((result) => {
      try {
        signalGroup(pid, 'SIGKILL');
      } catch {
        // EPERM: the group id now belongs to someone else's process; leave it alone.
      }
      children.delete(spec.jobId);
      const exit = { code: result.exitCode ?? null, signal: result.signal ?? null, outputTail: readLogTail(spec.logFile) };
      for (const listener of listeners) {
        try {
          listener(spec.jobId, exit);
        } catch {
          // One listener's bug must not keep the others from hearing about the exit.
        }
      }
    }),
  });

  async function start(spec: TrainingSpec): Promise<{ pid: number }> {
    if (children.has(spec.jobId)) throw new CoreError('CONFLICT', `job ${spec.jobId} already has a running process`, { details: { job_id: spec.jobId } });
    mkdirSync(spec.cwd, { recursive: true });
    mkdirSync(path.dirname(spec.logFile), { recursive: true });
    const fd = openSync(spec.logFile, 'a');
    writeSync(fd, `$ ${spec.argv.map(quote).join(' ')}\n`);
    const subprocess = spawnInGroup(spec, fd);
    // The pid exists as soon as the spawn call returns: register now, so a stop in the meantime finds it.
    if (subprocess.pid !== undefined) children.set(spec.jobId, watch(spec, subprocess.pid, subprocess));
    const outcome = await Promise.race([once(subprocess, 'spawn').then(() => 'spawned', () => 'failed'), subprocess.then(() => 'failed')]);
    if (outcome !== 'spawned' || subprocess.pid === undefined) {
      const error = notStarted(spec, await subprocess);
      writeSync(fd, `[yoloops] ${error.message}\n`);
      closeSync(fd);
      throw error;
    }
    closeSync(fd);
    return { pid: subprocess.pid };
  }

  async function stop(jobId: string, options: StopOptions): Promise<void> {
    const child = children.get(jobId);
    const pid = child?.pid ?? options.pid;
    if (pid === undefined || (child === undefined && !groupAlive(pid, jobId))) return;
    const gone = (ms: number) => waitUntil(() => !groupAlive(pid), ms);
    const interrupted = options.interruptGraceMs !== undefined && signalGroup(pid, 'SIGINT') && (await gone(options.interruptGraceMs));
    if (!interrupted && signalGroup(pid, 'SIGTERM') && !(await gone(options.graceMs))) {
      signalGroup(pid, 'SIGKILL');
      await gone(5000);
    }
    await child?.done;
  }

  return {
    start,
    stop,
    isAlive: (pid, jobId) => groupAlive(pid, jobId),
    onExit(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
