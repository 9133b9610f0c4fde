import { UsageError } from '../cli-args.js';
import { createTrainingWorker, type TrainingWorkerOptions } from './create-training-worker.js';
import { parseWorkerArgs, WORKER_USAGE } from './worker-args.js';

/** Where the CLI writes. */
export interface WorkerCliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/**
 * `yoloops worker …` / `yoloops-agent worker …`: runs a worker until SIGTERM or SIGINT, then closes it;
 * resolves with the exit code (0 after a signal, 2 on a usage error, 1 when it cannot start).
 * `extra` adds library options the flags do not cover (tests: the agent command).
 * @example process.exitCode = await runWorkerCli(process.argv.slice(3));
 */
export async function runWorkerCli(argv: readonly string[], io: WorkerCliIo = process, extra: Partial<TrainingWorkerOptions> = {}): Promise<number> {
  let parsed;
  try {
    parsed = parseWorkerArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`yoloops worker: ${error.message}\n${WORKER_USAGE}\n`);
    return 2;
  }
  if (parsed.help) {
    io.stdout.write(`${WORKER_USAGE}\n`);
    return 0;
  }
  let worker;
  try {
    worker = createTrainingWorker({ ...parsed.options, ...extra, log: (line) => void io.stderr.write(`${line}\n`) });
  } catch (error) {
    io.stderr.write(`yoloops worker: ${(error as Error).message}\n`);
    return 1;
  }
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  io.stderr.write(`yoloops worker: ${signal}: stopping (jobs go back to the queue)\n`);
  await worker.close();
  return 0;
}
