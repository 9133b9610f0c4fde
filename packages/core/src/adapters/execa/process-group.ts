import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, fstatSync } from 'node:fs';

const HAS_PROC = existsSync('/proc/self/stat');
const codeOf = (error: unknown) => (error as { code?: unknown }).code;

/** `ps`-style facts of one process from `/proc/<pid>/stat` (the command name may hold spaces and parentheses). */
function readStat(pid: string): { state: string; pgrp: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', pgrp: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

/** Whether the process carries `YOLOOPS_JOB_ID=<jobId>` (true when its environment cannot be read). */
function carriesJob(pid: string, jobId: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`YOLOOPS_JOB_ID=${jobId}`);
  } catch (error) {
    return codeOf(error) !== 'ENOENT';
  }
}

/**
 * Whether process group `pgid` still has a member that is not a zombie (and, with `jobId`, one that
 * was started for that job, so a recycled id is not mistaken for the trainer). Without `/proc` it
 * falls back to `kill(-pgid, 0)`, which also counts zombies.
 */
export function groupAlive(pgid: number, jobId?: string): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    if (codeOf(error) !== 'EPERM') return false;
  }
  if (!HAS_PROC) return true;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const stat = readStat(pid);
    if (stat === undefined || stat.pgrp !== pgid || stat.state === 'Z' || stat.state === 'X') continue;
    if (jobId === undefined || carriesJob(pid, jobId)) return true;
  }
  return false;
}

/** Sends `signal` to every process of group `pgid`; false when the group is already gone. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if (codeOf(error) === 'ESRCH') return false;
    throw error;
  }
}

/** Polls `done` every `everyMs` until it is true (→ true) or `timeoutMs` passed (→ false). */
export async function waitUntil(done: () => boolean, timeoutMs: number, everyMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (done()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, Math.min(everyMs, Math.max(1, deadline - Date.now()))));
  }
}

/** The last `chars` characters of a log, ANSI codes removed and bare `\r` read as line ends (reads ≤ 16 KiB). */
export function readLogTail(file: string, chars = 500): string {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const size = fstatSync(fd).size;
    const length = Math.min(size, 16 * 1024);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const text = buffer.toString('utf8').replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r\n?/g, '\n');
    return text.replace(/\n{2,}/g, '\n').trim().slice(-chars);
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
