import { parseArgs } from 'node:util';

/** What `yoloops-agent run …` was asked to do. */
export interface RunArgs {
  server: string;
  task: string;
  runDir?: string;
  token?: string;
  attempt: number;
  /** Post-train export command (`{weights}` = best.pt); undefined = the default `yolo export`. */
  exportCmd?: string;
  noExport: boolean;
  /** Bound on the final flush before exiting. */
  flushTimeoutMs: number;
  /** Backoff cap for retries (`YOLOOPS_AGENT_RETRY_CAP_MS`, default 30 s). */
  retryCapMs?: number;
  /** Forward the trainer's stdout/stderr lines to the server's job log (remote workers). */
  shipLogs: boolean;
  /** Upload weights/last.pt when it changed, at most every `checkpointIntervalMs`, and once at the end. */
  checkpoints: boolean;
  /** Least time between checkpoint uploads (`YOLOOPS_AGENT_CHECKPOINT_INTERVAL_MS`, default 30 s). */
  checkpointIntervalMs?: number;
  /** Upload a fine-tune's `checkpoint-N/` folders and, on success, its outputs to the server (needs `runDir`). */
  runFiles: boolean;
  command: string[];
}

/** A command line the agent cannot run; the message says what is wrong, the CLI prints usage. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The `--help` text. */
export const USAGE = `usage: yoloops-agent run --server URL --task ID [--run-dir DIR] [--token T] [--attempt N]
                         [--export-cmd "CMD {weights}" | --no-export] [--flush-timeout SEC]
                         [--ship-logs] [--checkpoints] [--run-files] -- <trainer command…>

  --server URL         yoloops server base URL
  --task ID            training task (job) id
  --run-dir DIR        folder the trainer writes results.csv and weights/ into
                       (default: the newest **/results.csv below the cwd written after start)
  --token T            bearer token (or env YOLOOPS_AGENT_TOKEN)
  --attempt N          attempt number, +1 per resume (or env YOLOOPS_AGENT_ATTEMPT; default 1)
  --export-cmd CMD     post-train export; {weights} is replaced by best.pt
                       (default: yolo export model={weights} format=onnx)
  --no-export          skip the post-train export
  --flush-timeout SEC  how long to wait for the server before exiting (default 20)
  --ship-logs          send the trainer's output lines to the server's job log
                       (batched, through the outbox: nothing lost while the server is away)
  --checkpoints        upload weights/last.pt when it changed, at most every 30 s
                       (env YOLOOPS_AGENT_CHECKPOINT_INTERVAL_MS) and once at the end
  --run-files          upload a fine-tune's checkpoint-N folders and, on success, its outputs
                       to the server (for remote workers); needs --run-dir, checkpoints at
                       most every 30 s (env YOLOOPS_AGENT_CHECKPOINT_INTERVAL_MS)`;

function positiveInt(value: string | undefined, label: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${label} must be a positive integer (got ${JSON.stringify(value)})`);
  return n;
}

/** Parses `run` arguments; everything after `--` is the trainer command. @throws UsageError */
export function parseRunArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): RunArgs {
  const dash = argv.indexOf('--');
  const own = dash < 0 ? [...argv] : argv.slice(0, dash);
  const command = dash < 0 ? [] : argv.slice(dash + 1);
  let parsed;
  try {
    parsed = parseArgs({
      args: own,
      allowPositionals: true,
      options: {
        server: { type: 'string' }, task: { type: 'string' }, 'run-dir': { type: 'string' }, token: { type: 'string' },
        attempt: { type: 'string' }, 'export-cmd': { type: 'string' }, 'no-export': { type: 'boolean' }, 'flush-timeout': { type: 'string' },
        'ship-logs': { type: 'boolean' }, checkpoints: { type: 'boolean' }, 'run-files': { type: 'boolean' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals[0] !== 'run' || positionals.length > 1) throw new UsageError(`unknown command ${JSON.stringify(positionals.join(' '))} (expected "run")`);
  if (!values.server) throw new UsageError('--server is required');
  if (!values.task) throw new UsageError('--task is required');
  if (command.length === 0 || command[0] === '') throw new UsageError('the trainer command is missing after --');
  if (values['export-cmd'] !== undefined && values['no-export']) throw new UsageError('--export-cmd and --no-export exclude each other');
  if (values['run-files'] && !values['run-dir']) throw new UsageError('--run-files needs --run-dir (the folder the fine-tune writes checkpoint-N/ and its outputs into)');
  const token = values.token ?? env.YOLOOPS_AGENT_TOKEN;
  const retryCapMs = positiveInt(env.YOLOOPS_AGENT_RETRY_CAP_MS, 'YOLOOPS_AGENT_RETRY_CAP_MS');
  const checkpointIntervalMs = positiveInt(env.YOLOOPS_AGENT_CHECKPOINT_INTERVAL_MS, 'YOLOOPS_AGENT_CHECKPOINT_INTERVAL_MS');
  return {
    server: values.server,
    task: values.task,
    ...(values['run-dir'] ? { runDir: values['run-dir'] } : {}),
    ...(token ? { token } : {}),
    attempt: positiveInt(values.attempt, '--attempt') ?? positiveInt(env.YOLOOPS_AGENT_ATTEMPT, 'YOLOOPS_AGENT_ATTEMPT') ?? 1,
    ...(values['export-cmd'] !== undefined ? { exportCmd: values['export-cmd'] } : {}),
    noExport: values['no-export'] ?? false,
    flushTimeoutMs: (positiveInt(values['flush-timeout'], '--flush-timeout') ?? 20) * 1000,
    ...(retryCapMs !== undefined ? { retryCapMs } : {}),
    shipLogs: values['ship-logs'] ?? false,
    checkpoints: values.checkpoints ?? false,
    ...(checkpointIntervalMs !== undefined ? { checkpointIntervalMs } : {}),
    runFiles: values['run-files'] ?? false,
    command,
  };
}
