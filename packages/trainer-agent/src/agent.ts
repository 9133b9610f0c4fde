import path from 'node:path';
import type { Dispatcher } from 'undici';
import { DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { logsEvent, MAX_STEP_ROWS, resultEvent, statusEvent, stepsEvent, type EpochMetrics, type NotifyEvent, type TrainStatus } from './events.js';
import { createAgentHttp, type AgentHttp } from './http.js';
import { openOutbox, type Outbox } from './outbox.js';
import { startSender } from './sender.js';
import type { StepProgress, StepRow } from './step-rows.js';

/** Options of {@link createTrainerAgent}; only `serverUrl` and `taskId` are required. */
export interface TrainerAgentOptions {
  /** Base URL of the yoloops server (a path prefix is kept), e.g. `http://127.0.0.1:8000`. */
  serverUrl: string;
  /** The training task (job) id; numbers are sent as their decimal string. */
  taskId: string | number;
  /** Sent as `Authorization: Bearer <token>` when given. */
  token?: string;
  /** Attempt of this run (1 for the first, +1 per resume); part of every `eventId`. Default 1. */
  attempt?: number;
  /** The run folder; the outbox defaults to `<runDir>/.yoloops-agent`. */
  runDir?: string;
  /** Where the journal lives. Default `<runDir or cwd>/.yoloops-agent`. */
  outboxDir?: string;
  /** undici dispatcher instead of the agent's own keep-alive Agent. */
  dispatcher?: Dispatcher;
  /** Retry backoff bounds (default 500 ms base, 30 s cap, full jitter). */
  retry?: Partial<BackoffOptions>;
  /** Per-request bound on waiting for the server (default 30 s). */
  requestTimeoutMs?: number;
  /** Where diagnostics go (default: a line on stderr). */
  log?: (line: string) => void;
}

/** Reports one training run to the server through a durable outbox. */
export interface TrainerAgent {
  /** Journals one epoch's metrics (durable when the promise resolves) and queues it for sending. */
  reportEpoch(epoch: number, metrics: EpochMetrics): Promise<void>;
  /** Journals logging steps (in events of ≤ 1000 rows, the progress on the last) and queues them for sending. */
  reportSteps(rows: readonly StepRow[], progress?: StepProgress): Promise<void>;
  /** Journals one batch of trainer output lines (≤ 500, numbered on from the journal) and queues it for sending. */
  reportLogLines(lines: readonly string[]): Promise<void>;
  /** Journals a status change (durable when the promise resolves) and queues it for sending. */
  reportStatus(status: TrainStatus, message?: string): Promise<void>;
  /** Waits until every journaled event is settled; false when `timeoutMs` (default 30 s) passes first. */
  flush(timeoutMs?: number): Promise<boolean>;
  /** Stops sending and closes files and connections; un-acked events stay journaled for the next start. */
  close(): Promise<void>;
  /** The HTTP edge, for the CLI's one-off weights upload. */
  readonly http: AgentHttp;
  /** Where the journal lives. */
  readonly outboxFiles: Outbox['files'];
}

const stderrLog = (line: string) => void process.stderr.write(`${line}\n`);

/**
 * Creates a trainer agent and resumes sending whatever an earlier process left un-acked in the outbox.
 * Every report is appended + fsynced to the journal before it is sent; one background sender delivers
 * events in order and retries forever (exponential backoff with full jitter, `Retry-After` honoured).
 * Sends are idempotent by `eventId`, so a replay after a lost acknowledgement stores nothing twice.
 *
 * @example
 * const agent = createTrainerAgent({ serverUrl: 'http://127.0.0.1:8000', taskId: 'job_1', attempt: 1 });
 * await agent.reportStatus('running');
 * await agent.reportEpoch(1, { 'train/box_loss': 1.2, 'metrics/mAP50(B)': 0.31 });
 * await agent.reportStatus('completed');
 * await agent.flush(10_000);
 * await agent.close();
 */
export function createTrainerAgent(options: TrainerAgentOptions): TrainerAgent {
  const taskId = String(options.taskId);
  const attempt = options.attempt ?? 1;
  if (taskId === '') throw new TypeError('taskId must not be empty');
  if (!Number.isSafeInteger(attempt) || attempt < 1) throw new TypeError(`attempt must be a positive integer (got ${String(options.attempt)})`);
  routeCheck(options.serverUrl);
  const log = options.log ?? stderrLog;
  const outbox = openOutbox(options.outboxDir ?? path.join(options.runDir ?? process.cwd(), '.yoloops-agent'), taskId, log);
  const http = createAgentHttp(options);
  const sender = startSender({ outbox, http, log, backoff: { ...DEFAULT_BACKOFF, ...options.retry } });
  let closed = false;
  // Log batches number on from what this attempt already journaled (an agent restarted mid-attempt goes on, never repeats).
  let logSeq: number | undefined;

  async function enqueue(build: () => NotifyEvent): Promise<void> {
    if (closed) throw new Error('trainer agent is closed');
    if (outbox.append(build())) sender.notify();
  }

  return {
    http,
    outboxFiles: outbox.files,
    reportEpoch: (epoch, metrics) => enqueue(() => resultEvent(taskId, attempt, epoch, metrics)),
    reportStatus: (status, message) => enqueue(() => statusEvent(taskId, attempt, status, message)),
    reportLogLines(lines) {
      logSeq ??= outbox.lastNumber(`${taskId}:${attempt}:logs:`);
      const seq = (logSeq += 1);
      return enqueue(() => logsEvent(taskId, attempt, seq, lines));
    },
    async reportSteps(rows, progress) {
      const batches = Math.max(1, Math.ceil(rows.length / MAX_STEP_ROWS));
      for (let i = 0; i < batches; i++) {
        const last = i === batches - 1;
        await enqueue(() => stepsEvent(taskId, attempt, rows.slice(i * MAX_STEP_ROWS, (i + 1) * MAX_STEP_ROWS), last ? progress : undefined));
      }
    },
    flush: (timeoutMs = 30_000) => sender.waitIdle(timeoutMs),
    async close() {
      if (closed) return;
      closed = true;
      await sender.stop();
      outbox.close();
      await http.close();
    },
  };
}

function routeCheck(serverUrl: string): void {
  const url = new URL(serverUrl);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`serverUrl must be http(s) (got ${url.protocol})`);
}
