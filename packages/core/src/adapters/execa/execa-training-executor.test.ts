import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { TrainingExit, TrainingSpec } from '../../jobs/training-executor.port.js';
import { createExecaTrainingExecutor } from './execa-training-executor.js';
import { groupAlive, waitUntil } from './process-group.js';

let dir: string;
const started: number[] = [];
const executor = createExecaTrainingExecutor();
const exits = new Map<string, TrainingExit>();
executor.onExit((jobId, exit) => exits.set(jobId, exit));

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'yoloops-executor-'));
});
afterEach(async () => {
  for (const pid of started.splice(0)) if (groupAlive(pid)) process.kill(-pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const spec = (jobId: string, script: string): TrainingSpec => ({
  jobId, argv: [process.execPath, '-e', script], cwd: path.join(dir, jobId), env: { GREETING: 'hi' }, logFile: path.join(dir, 'logs', `${jobId}.log`),
});
const run = async (s: TrainingSpec) => {
  const { pid } = await executor.start(s);
  started.push(pid);
  return pid;
};
const exitOf = async (jobId: string) => {
  expect(await waitUntil(() => exits.has(jobId), 10_000)).toBe(true);
  return exits.get(jobId);
};
/** Alive and not a zombie (a zombie is dead, only not yet reaped by its parent). */
const pidAlive = (pid: number) => {
  try {
    return !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return false;
  }
};
const GRANDCHILD = `
  const { spawn } = require('node:child_process');
  const g = spawn(process.execPath, ['-e', 'process.on("SIGTERM", () => {}); setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  console.log('grandchild ' + g.pid);`;
const grandchildPid = async (logFile: string) => {
  let pid = 0;
  await waitUntil(() => (pid = Number(/grandchild (\d+)/.exec(safeRead(logFile))?.[1] ?? 0)) > 0, 10_000);
  return pid;
};
const safeRead = (file: string) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};

describe('execa TrainingExecutor', () => {
  test('appends the command, stdout and stderr to the log and reports the exit with the log tail', async () => {
    const s = spec('job_log', 'console.log("out " + process.env.GREETING + " " + process.env.YOLOOPS_JOB_ID); console.error("err line"); process.exit(3)');
    await run(s);
    expect(await exitOf('job_log')).toEqual({ code: 3, signal: null, outputTail: expect.stringContaining('out hi job_log\nerr line') });
    const log = readFileSync(s.logFile, 'utf8');
    expect(log.split('\n')[0]).toMatch(/^\$ .*node -e /);
    await run({ ...s, jobId: 'job_log2', argv: [process.execPath, '-e', 'console.log("second")'] });
    expect((await exitOf('job_log2'))?.code).toBe(0);
    expect(readFileSync(s.logFile, 'utf8')).toMatch(/out hi job_log\nerr line\n\$ .*\nsecond\n$/);
  });

  test('the reported tail is at most 500 characters and a 3 MB line goes to the log whole', async () => {
    const s = spec('job_big', 'process.stdout.write("x".repeat(3 * 1024 * 1024)); process.stderr.write("\\nTraceback: boom\\n"); process.exitCode = 1');
    await run(s);
    const exit = await exitOf('job_big');
    expect(exit?.outputTail.length).toBeLessThanOrEqual(500);
    expect(exit?.outputTail.endsWith('Traceback: boom')).toBe(true);
    expect(statSync(s.logFile).size).toBeGreaterThan(3 * 1024 * 1024);
  });

  test('stop sends SIGTERM to the whole group: child and grandchild are gone, the exit says SIGTERM', async () => {
    const s = spec('job_group', `${GRANDCHILD} setInterval(() => {}, 1000);`);
    const pid = await run(s);
    const grandchild = await grandchildPid(s.logFile);
    expect(pidAlive(grandchild)).toBe(true);
    expect(executor.isAlive(pid, 'job_group')).toBe(true);
    expect(executor.isAlive(pid, 'job_other')).toBe(false);
    await executor.stop('job_group', { graceMs: 3000 });
    expect(pidAlive(pid)).toBe(false);
    expect(groupAlive(pid)).toBe(false);
    expect(pidAlive(grandchild) && executor.isAlive(pid)).toBe(false);
    expect(await exitOf('job_group')).toMatchObject({ code: null, signal: 'SIGTERM' });
  });

  test('a group that ignores SIGTERM is killed with SIGKILL after the grace period', async () => {
    // Markers are built at run time: the command line at the top of the log holds the script text.
    const s = spec('job_stubborn', 'process.on("SIGTERM", () => console.log("SIGTERM " + "ignored")); setInterval(() => {}, 1000); console.log("re" + "ady")');
    const pid = await run(s);
    expect(await waitUntil(() => safeRead(s.logFile).includes('\nready'), 10_000)).toBe(true);
    const t0 = Date.now();
    await executor.stop('job_stubborn', { graceMs: 300 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(groupAlive(pid)).toBe(false);
    expect(await exitOf('job_stubborn')).toMatchObject({ signal: 'SIGKILL' });
    expect(readFileSync(s.logFile, 'utf8')).toContain('SIGTERM ignored');
  });

  test('with interruptGraceMs, SIGINT arrives first; a trainer that saves on it exits within the grace and never sees SIGTERM', async () => {
    const s = spec('job_interrupt', 'process.on("SIGINT", () => { console.log("got " + "SIGINT"); setTimeout(() => process.exit(130), 100); }); process.on("SIGTERM", () => console.log("got " + "SIGTERM")); setInterval(() => {}, 1000); console.log("re" + "ady")');
    await run(s);
    expect(await waitUntil(() => safeRead(s.logFile).includes('\nready'), 10_000)).toBe(true);
    await executor.stop('job_interrupt', { graceMs: 2000, interruptGraceMs: 3000 });
    expect(await exitOf('job_interrupt')).toMatchObject({ code: 130, signal: null });
    expect(safeRead(s.logFile).match(/^got SIG[A-Z]+$/gm)).toEqual(['got SIGINT']);
  });

  test('a trainer that ignores SIGINT gets SIGTERM after the interrupt grace, then SIGKILL: the signals arrive in that order', async () => {
    const s = spec('job_deaf', 'for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => console.log("got " + sig)); setInterval(() => {}, 1000); console.log("re" + "ady")');
    const pid = await run(s);
    expect(await waitUntil(() => safeRead(s.logFile).includes('\nready'), 10_000)).toBe(true);
    await executor.stop('job_deaf', { graceMs: 300, interruptGraceMs: 300 });
    expect(groupAlive(pid)).toBe(false);
    expect(await exitOf('job_deaf')).toMatchObject({ signal: 'SIGKILL' });
    expect(safeRead(s.logFile).match(/^got SIG[A-Z]+$/gm)).toEqual(['got SIGINT', 'got SIGTERM']);
  });

  test('when the leader exits on its own, members left in its group are killed', async () => {
    const s = spec('job_orphan', `${GRANDCHILD} setTimeout(() => process.exit(0), 200);`);
    const pid = await run(s);
    const grandchild = await grandchildPid(s.logFile);
    expect((await exitOf('job_orphan'))?.code).toBe(0);
    expect(await waitUntil(() => !pidAlive(grandchild), 5000)).toBe(true);
    expect(groupAlive(pid)).toBe(false);
  });

  test('stop with a pid reaches a group this executor did not start (adopted after a restart), and only that job', async () => {
    const other = createExecaTrainingExecutor();
    const s = spec('job_adopted', 'setInterval(() => {}, 1000)');
    const { pid } = await other.start(s);
    started.push(pid);
    await executor.stop('job_adopted', { graceMs: 3000, pid: 999_999_999 });
    await executor.stop('job_wrong_id', { graceMs: 3000, pid });
    expect(groupAlive(pid)).toBe(true);
    await executor.stop('job_adopted', { graceMs: 3000, pid });
    expect(groupAlive(pid)).toBe(false);
  });

  test('a second start for a job with a live process is a CONFLICT', async () => {
    await run(spec('job_twice', 'setInterval(() => {}, 1000)'));
    await expect(executor.start(spec('job_twice', 'console.log(1)'))).rejects.toMatchObject({ code: 'CONFLICT' });
    await executor.stop('job_twice', { graceMs: 3000 });
  });

  test('a missing program rejects with program_not_found, names it, and says so in the log', async () => {
    const s = { ...spec('job_missing', ''), argv: ['yolo-does-not-exist-42', 'detect', 'train'] };
    await expect(executor.start(s)).rejects.toMatchObject({
      code: 'EXTERNAL_FAILURE', reason: 'program_not_found', details: { program: 'yolo-does-not-exist-42', errno: 'ENOENT' },
    });
    expect(readFileSync(s.logFile, 'utf8')).toContain('[yoloops] could not start "yolo-does-not-exist-42" (ENOENT): install it or fix the configured trainer/agent command');
    expect(exits.has('job_missing')).toBe(false);
    await run(spec('job_missing', 'console.log("can start after a failed start")'));
    expect((await exitOf('job_missing'))?.code).toBe(0);
  });
});
