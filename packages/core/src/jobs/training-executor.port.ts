/** What to run for one job attempt. */
export interface TrainingSpec {
  jobId: string;
  /** Program and arguments, passed without a shell. */
  argv: readonly string[];
  /** Working folder (created if missing). */
  cwd: string;
  /** Added to the server's environment. */
  env: Readonly<Record<string, string>>;
  /** stdout and stderr are appended here (the file and its folder are created if missing). */
  logFile: string;
}

/** How a started process ended. */
export interface TrainingExit {
  /** Exit code, or null when a signal ended it. */
  code: number | null;
  signal: string | null;
  /** The last ≤500 characters of its output (log tail), for error messages. */
  outputTail: string;
}

/** How a stop escalates: optional SIGINT grace, then SIGTERM grace, then SIGKILL. */
export interface StopOptions {
  graceMs: number;
  /** Send SIGINT first and wait this long before SIGTERM (absent: start with SIGTERM). */
  interruptGraceMs?: number;
  pid?: number;
}

/** Receives the exit of every process the executor started. */
export type TrainingExitListener = (jobId: string, exit: TrainingExit) => void;

/**
 * Runs trainer processes, each in its own process group so a stop reaches every descendant.
 * `start` rejects with `CoreError('EXTERNAL_FAILURE', …, { reason: 'program_not_found', details: { program } })`
 * when the program cannot be found or run; the exit of a started process is reported through `onExit`.
 */
export interface TrainingExecutor {
  /** Starts a process and resolves once it exists; CONFLICT when the job already has a live process here. */
  start(spec: TrainingSpec): Promise<{ pid: number }>;
  /**
   * SIGTERM to the job's process group, SIGKILL after `graceMs`; resolves when the group is gone. With
   * `interruptGraceMs`, SIGINT goes first (trainers such as LLaMA-Factory save a checkpoint on it) and
   * SIGTERM only when the group is still there after that grace. `pid` addresses a group this executor
   * did not start (one adopted after a server restart).
   */
  stop(jobId: string, options: StopOptions): Promise<void>;
  /** Whether the process lives; with `jobId`, adapters that can also check it is that job's process (not a recycled pid). */
  isAlive(pid: number, jobId?: string): boolean;
  /** Subscribes to exits; returns the unsubscribe function. */
  onExit(listener: TrainingExitListener): () => void;
}
