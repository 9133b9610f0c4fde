/** A running parent watch; `stop()` ends it. */
export interface ParentWatch {
  stop(): void;
}

/**
 * When `expectedPid` is set (`YOLOOPS_AGENT_PARENT_PID`, set by `yoloops worker`), checks every `everyMs`
 * that this process still has that parent; once it is gone (the worker died, e.g. `kill -9`, and the agent
 * was re-parented) it calls `onOrphaned`. The worker's job then goes to another worker as a new attempt,
 * so the trainer here must not go on training it at the same time.
 */
export function watchParent(expectedPid: string | undefined, onOrphaned: () => void, everyMs = 1000): ParentWatch {
  const pid = Number(expectedPid);
  if (expectedPid === undefined || expectedPid === '' || !Number.isSafeInteger(pid) || pid <= 1) return { stop: () => undefined };
  const timer = setInterval(() => {
    if (process.ppid === pid) return;
    clearInterval(timer);
    onOrphaned();
  }, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** Kills this process's whole group (agent and trainer) at once, as a dead machine would; falls back to `kill` and exit 137. */
export function killOwnGroup(killChild: () => void): void {
  try {
    process.kill(-process.pid, 'SIGKILL');
  } catch {
    killChild();
    process.exit(137);
  }
}
