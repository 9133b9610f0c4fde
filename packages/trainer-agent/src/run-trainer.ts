import { describeMissingProgram } from '@yoloops/core';
import { constants } from 'node:os';
import path from 'node:path';
import { execa, type Result, type ResultPromise } from 'execa';
import { createTrainerAgent, type TrainerAgent } from './agent.js';
import type { RunArgs } from './cli-args.js';
import type { TrainStatus } from './events.js';
import { startCheckpointUploads } from './checkpoints.js';
import { createLineTail } from './line-tail.js';
import { createLogShipper } from './log-shipper.js';
import { createProgress } from './progress.js';
import { startResultsTail } from './results-tail.js';
import { startRunFileUploads } from './run-files.js';
import type { StepBatch } from './step-tail.js';
import { startStepTail } from './step-tail.js';
import { handOverWeights } from './weights.js';
import { killOwnGroup, watchParent } from './parent-watch.js';

/** Where the CLI writes; injectable so tests and embedders can capture it. */
export interface RunIo {
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  cwd: string;
}

interface Outcome {
  status: Extract<TrainStatus, 'completed' | 'failed' | 'stopped'>;
  message?: string;
  exitCode: number;
}

const MAX_MESSAGE = 500;

/** The terminal status of a finished trainer: a forwarded stop wins, then exit code 0, else failed with the stderr tail. */
export function decideOutcome(result: Pick<Result, 'exitCode' | 'signal' | 'code'>, stopSignal: string | undefined, stderrTail: string, program: string): Outcome {
  const bySignal = result.signal ? 128 + (constants.signals[result.signal as keyof typeof constants.signals] ?? 0) : undefined;
  const exitCode = result.exitCode ?? bySignal ?? 127;
  if (stopSignal) return { status: 'stopped', message: `Training stopped by request (${stopSignal})`, exitCode };
  if (result.exitCode === 0) return { status: 'completed', exitCode: 0 };
  const head =
    result.exitCode === undefined && !result.signal
      ? describeMissingProgram(program, result.code ?? 'spawn failed')
      : result.signal
        ? `trainer killed by ${result.signal}`
        : `trainer exited with code ${result.exitCode}`;
  const room = MAX_MESSAGE - head.length - 1;
  const tail = stderrTail.length > room ? stderrTail.slice(-room) : stderrTail;
  return { status: 'failed', message: (tail ? `${head}\n${tail}` : head).slice(0, MAX_MESSAGE), exitCode };
}

/** Forwards SIGTERM/SIGINT to the child and remembers the first one; `dispose` removes the handlers. */
function forwardSignals(kill: (signal: NodeJS.Signals) => void) {
  let received: NodeJS.Signals | undefined;
  const handler = (signal: NodeJS.Signals) => {
    received ??= signal;
    kill(signal);
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  return {
    received: () => received,
    dispose() {
      process.off('SIGTERM', handler);
      process.off('SIGINT', handler);
    },
  };
}

async function report(step: Promise<void>, log: (line: string) => void): Promise<void> {
  await step.catch((error: unknown) => log(`yoloops-agent: could not journal a report: ${(error as Error).message}`));
}

/** Starts the tail; each new row is journaled, then shown (and `onEpoch` told). */
function tailResults(args: RunArgs, io: RunIo, agent: TrainerAgent, startedAt: number, log: (line: string) => void, onEpoch: () => void) {
  const progress = createProgress(io.stderr, args.command);
  const tail = startResultsTail({
    ...(args.runDir !== undefined ? { runDir: args.runDir } : {}),
    searchRoot: io.cwd,
    startedAt,
    log,
    onRows(rows, file) {
      for (const row of rows) {
        void report(agent.reportEpoch(row.epoch, row.values), log);
        progress.epoch(row, path.dirname(file));
      }
      if (rows.length > 0) onEpoch();
    },
  });
  return { tail, progress };
}

/** One line per step batch, e.g. `step 20/120 (16.67%)  loss 1.9  eval_loss 2.1`. */
export function formatSteps(batch: StepBatch): string {
  const last = batch.rows.at(-1);
  const p = batch.progress;
  const parts = [p ? `step ${p.current_steps}/${p.total_steps} (${p.percentage}%)` : `step ${last?.step ?? '?'}`];
  for (const name of ['loss', 'eval_loss', 'lr']) {
    const value = last?.values[name];
    if (typeof value === 'number') parts.push(`${name} ${Number(value.toPrecision(4))}`);
  }
  return parts.join('  ');
}

/** Starts the step tail of a fine-tune run (`--run-dir` only): each batch is journaled, then shown. */
function tailSteps(runDir: string | undefined, agent: TrainerAgent, io: RunIo, log: (line: string) => void) {
  if (runDir === undefined) return undefined;
  return startStepTail({
    runDir, log,
    onSteps(batch) {
      void report(agent.reportSteps(batch.rows, batch.progress), log);
      io.stderr.write(`yoloops-agent: ${formatSteps(batch)}\n`);
    },
  });
}

/**
 * What a remote worker's agent adds (`--ship-logs`, `--checkpoints`, `--run-files`): the trainer's output lines
 * go to the server's job log through the outbox, weights/last.pt is uploaded as epochs end and once at the end,
 * and a fine-tune's checkpoint-N folders as they are written, then (on success) its outputs.
 */
function remoteExtras(args: RunArgs, agent: TrainerAgent, child: ResultPromise, runDir: () => string | undefined, log: (line: string) => void) {
  const shipper = args.shipLogs ? createLogShipper({ send: (lines) => agent.reportLogLines(lines) }) : undefined;
  if (shipper) {
    child.stdout?.on('data', (chunk: Buffer) => shipper.push('stdout', chunk));
    child.stderr?.on('data', (chunk: Buffer) => shipper.push('stderr', chunk));
  }
  const interval = args.checkpointIntervalMs === undefined ? {} : { intervalMs: args.checkpointIntervalMs };
  const uploads = args.checkpoints
    ? startCheckpointUploads({ taskId: args.task, attempt: args.attempt, http: agent.http, runDir, log, ...interval })
    : undefined;
  const runFiles = args.runFiles && args.runDir !== undefined
    ? startRunFileUploads({ taskId: args.task, attempt: args.attempt, http: agent.http, runDir: args.runDir, log, ...interval })
    : undefined;
  return {
    epochEnded: () => uploads?.epochEnded(),
    /** Journals the last lines and sends the final checkpoint (before the terminal status: a resume starts from it). */
    async finish() {
      await shipper?.close();
      // The reports before it go first: a job the agent's first report creates (an external one) must exist when its checkpoint arrives.
      if (uploads) await agent.flush(args.flushTimeoutMs);
      await uploads?.finish();
    },
    /** Sends the last checkpoint and, when `completed`, the outputs; resolves only after (the terminal status follows). */
    finishRunFiles: async (completed: boolean) => runFiles?.finish(completed),
  };
}

/**
 * `yoloops-agent run`: the outbox lives in `<cwd>/.yoloops-agent` (not in the run folder: creating that
 * before the trainer starts would make Ultralytics without `exist_ok` pick `train2`); spawns the trainer (stdout/stderr passed through), reports running, tails
 * results.csv into per-epoch reports, forwards SIGTERM/SIGINT, reports the terminal status (after
 * handing over the best weights on success), flushes within `flushTimeoutMs`, and returns the
 * trainer's exit code.
 */
export async function runTrainer(input: RunArgs, io: RunIo): Promise<number> {
  const args: RunArgs = { ...input, ...(input.runDir !== undefined ? { runDir: path.resolve(io.cwd, input.runDir) } : {}) };
  const log = (line: string) => void io.stderr.write(`${line}\n`);
  const agent = createTrainerAgent({
    serverUrl: args.server, taskId: args.task, attempt: args.attempt, log,
    ...(args.token ? { token: args.token } : {}),
    outboxDir: path.join(io.cwd, '.yoloops-agent'),
    ...(args.retryCapMs !== undefined ? { retry: { capMs: args.retryCapMs } } : {}),
  });
  const startedAt = Date.now();
  const [program = '', ...rest] = args.command;
  const child = execa(program, rest, { cwd: io.cwd, stdin: 'inherit', stdout: args.shipLogs ? ['inherit', 'pipe'] : 'inherit', stderr: ['inherit', 'pipe'], buffer: false, reject: false });
  const stderrTail = createLineTail();
  child.stderr?.on('data', (chunk: Buffer) => stderrTail.push(chunk));
  const signals = forwardSignals((signal) => child.kill(signal));
  // Under `yoloops worker`: if the worker dies, its job goes to another worker; this trainer must not train it too.
  const parent = watchParent(process.env.YOLOOPS_AGENT_PARENT_PID, () => {
    log('yoloops-agent: the worker that started this run is gone; stopping the trainer (the job goes to another worker)');
    killOwnGroup(() => child.kill('SIGKILL'));
  });
  await report(agent.reportStatus('running'), log);
  let runFolder: () => string | undefined = () => undefined;
  const extras = remoteExtras(args, agent, child, () => args.runDir ?? runFolder(), log);
  const { tail, progress } = tailResults(args, io, agent, startedAt, log, extras.epochEnded);
  runFolder = () => (tail.file() === undefined ? undefined : path.dirname(tail.file()!));
  const steps = tailSteps(args.runDir, agent, io, log);
  const result = await child;
  parent.stop();
  await tail.stop();
  await steps?.stop();
  progress.done();
  await extras.finish();
  const outcome = decideOutcome(result, signals.received(), stderrTail.text(), program);
  // The trainer never ran: say what to install or configure in the log people read, not only in the job's error.
  if (result.exitCode === undefined && !result.signal && outcome.message) log(`yoloops-agent: ${outcome.message}`);
  const found = tail.file();
  const runDir = args.runDir ?? (found === undefined ? undefined : path.dirname(found));
  // With --run-files the last checkpoint (and, on success, the outputs) reach the server before the terminal status.
  await extras.finishRunFiles(outcome.status === 'completed');
  // A fine-tune (step logs found) leaves its adapter in the run folder: the server collects it when the job completes.
  if (outcome.status === 'completed' && steps?.found()) {
    if (!args.runFiles) log(`yoloops-agent: fine-tune outputs stay in ${args.runDir ?? ''}`);
  } else if (outcome.status === 'completed' && runDir !== undefined) {
    await handOverWeights({ runDir, taskId: args.task, attempt: args.attempt, http: agent.http, noExport: args.noExport, log, ...(args.exportCmd !== undefined ? { exportCmd: args.exportCmd } : {}) });
  }
  await report(agent.reportStatus(outcome.status, outcome.message), log);
  if (!(await agent.flush(args.flushTimeoutMs))) log(`yoloops-agent: server not reachable; un-sent events stay in ${path.dirname(agent.outboxFiles.events)} and are sent by the next agent run`);
  await agent.close();
  signals.dispose();
  return outcome.exitCode;
}
