#!/usr/bin/env node
import { parseRunArgs, UsageError, USAGE } from './cli-args.js';
import { runTrainer } from './run-trainer.js';

/** Entry point of `yoloops-agent`; returns the process exit code (2 on a usage error, 1 when the agent cannot start). */
async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'worker') {
    // Loaded only for `worker`: `run` starts without BullMQ and ioredis.
    const { runWorkerCli } = await import('./worker/worker-cli.js');
    process.exit(await runWorkerCli(argv.slice(1)));
  }
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h') {
    process.stdout.write(`${USAGE}\n       yoloops-agent worker --help   (a remote training worker)\n`);
    return argv.length === 0 ? 2 : 0;
  }
  try {
    return await runTrainer(parseRunArgs(argv), { stderr: process.stderr, cwd: process.cwd() });
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`yoloops-agent: ${error.message}\n${USAGE}\n`);
      return 2;
    }
    process.stderr.write(`yoloops-agent: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
