import { createHash } from 'node:crypto';
import { ValidationError } from '@yoloops/core';
import type { StepProgress, StepRow } from './step-rows.js';

/** Training states the agent reports; mapped onto seed 004's `statusType` 1–5. */
export type TrainStatus = 'queued' | 'running' | 'completed' | 'failed' | 'stopped';

/** Seed 004's `statusType` for each state (1 queued, 2 running, 3 completed, 4 failed, 5 stopped/cancelled). */
export const STATUS_TYPES: Readonly<Record<TrainStatus, 1 | 2 | 3 | 4 | 5>> = { queued: 1, running: 2, completed: 3, failed: 4, stopped: 5 };

/** Metric values of one epoch, by raw `results.csv` column name; null = not a number (nan/inf). */
export type EpochMetrics = Record<string, number | null>;

/** One notification as journaled and sent: a server path and its JSON body, keyed by `eventId`. */
export interface NotifyEvent {
  eventId: string;
  path: string;
  body: Record<string, unknown>;
}

/** Seed 004's five per-epoch fields, derived from Ultralytics columns where they exist. */
export interface SeedFields {
  accuracy?: number;
  loss?: number;
  valAccuracy?: number;
  valLoss?: number;
  f1Score?: number;
}

/** Seed 004's per-epoch route. */
export const RESULT_PATH = '/api/model/train/notify/result';
/** Seed 004's status-change route. */
export const STATUS_PATH = '/api/model/train/notify/status';

/** Same bounds as the server's epoch check, so an event the server would refuse never enters the outbox. */
const LIMITS = { maxEpoch: 1_000_000, maxMetrics: 1000, maxNameLength: 200, maxMessage: 500 } as const;

const finite = (value: number | null | undefined): value is number => typeof value === 'number' && Number.isFinite(value);
const first = (metrics: EpochMetrics, names: readonly string[]) => names.map((name) => metrics[name]).find(finite);

function sumOf(metrics: EpochMetrics, pattern: RegExp): number | undefined {
  const parts = Object.entries(metrics).filter(([name]) => pattern.test(name));
  if (parts.length === 0 || !parts.every(([, value]) => finite(value))) return undefined;
  return parts.reduce((sum, [, value]) => sum + (value ?? 0), 0);
}

/** A value the server reads as a fraction: percentages (> 1) are divided by 100. */
const fraction = (value: number | undefined) => (value !== undefined && value > 1 ? value / 100 : value);

/**
 * Seed 004's fields for one epoch: values already named `accuracy`/`loss`/`valAccuracy`/`valLoss`/
 * `f1Score` win; otherwise loss = Σ `train/*loss`, valLoss = Σ `val/*loss`, accuracy = mAP50
 * (`metrics/mAP50(B)`, YOLOv5 `metrics/mAP_0.5`, classify `metrics/accuracy_top1`) as a fraction,
 * f1Score = 2PR/(P+R). Fields without a source are left out, never invented.
 */
export function seedFields(metrics: EpochMetrics): SeedFields {
  const precision = first(metrics, ['metrics/precision(B)', 'metrics/precision']);
  const recall = first(metrics, ['metrics/recall(B)', 'metrics/recall']);
  const f1 = precision !== undefined && recall !== undefined ? (precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0) : undefined;
  const fields: SeedFields = {
    accuracy: fraction(first(metrics, ['accuracy', 'metrics/mAP50(B)', 'metrics/mAP_0.5', 'metrics/accuracy_top1'])),
    loss: first(metrics, ['loss']) ?? sumOf(metrics, /^train\/(?:.*_)?loss$/),
    valAccuracy: fraction(first(metrics, ['valAccuracy'])),
    valLoss: first(metrics, ['valLoss']) ?? sumOf(metrics, /^val\/(?:.*_)?loss$/),
    f1Score: fraction(first(metrics, ['f1Score']) ?? f1),
  };
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as SeedFields;
}

function checkMetrics(epoch: number, metrics: EpochMetrics): EpochMetrics {
  if (!Number.isSafeInteger(epoch) || epoch < 1 || epoch > LIMITS.maxEpoch) {
    throw new ValidationError(`epoch must be an integer 1–${LIMITS.maxEpoch} (got ${String(epoch)})`, { reason: 'invalid_epoch' });
  }
  const entries = Object.entries(metrics).filter(([name]) => name !== 'epoch');
  if (entries.length > LIMITS.maxMetrics) {
    throw new ValidationError(`too many metrics in one epoch: ${entries.length} (at most ${LIMITS.maxMetrics})`, { reason: 'too_many_metrics' });
  }
  for (const [name] of entries) {
    if (name.length === 0 || name.length > LIMITS.maxNameLength || /[\u0000-\u001f\u007f]/.test(name) || name === '__proto__') {
      throw new ValidationError(`invalid metric name ${JSON.stringify(name.slice(0, 64))}`, { reason: 'invalid_metric_name' });
    }
  }
  return Object.fromEntries(entries.map(([name, value]) => [name, finite(value) ? value : null]));
}

/** The `/notify/result` event of one epoch; NaN/±Infinity travel as null. @throws ValidationError on an epoch outside 1–1e6 or a key flood. */
export function resultEvent(taskId: string, attempt: number, epoch: number, metrics: EpochMetrics): NotifyEvent {
  const clean = checkMetrics(epoch, metrics);
  const eventId = `${taskId}:${attempt}:epoch:${epoch}`;
  return { eventId, path: RESULT_PATH, body: { trainTaskId: taskId, epoch, ...seedFields(clean), metrics: clean, attempt, eventId } };
}

/**
 * The `/notify/status` event of a state change. As the seed's real caller does, failed and stopped
 * always carry `failureMessage` (possibly empty, cut to 500 characters) and the others never do.
 */
export function statusEvent(taskId: string, attempt: number, status: TrainStatus, message?: string): NotifyEvent {
  const statusType = STATUS_TYPES[status];
  if (statusType === undefined) throw new ValidationError(`unknown training status ${JSON.stringify(status)}`, { reason: 'invalid_status' });
  const eventId = `${taskId}:${attempt}:status:${statusType}`;
  const failure = statusType >= 4 ? { failureMessage: (message ?? '').slice(0, LIMITS.maxMessage) } : {};
  return { eventId, path: STATUS_PATH, body: { trainTaskId: taskId, statusType, ...failure, attempt, eventId } };
}

/** The agent route that takes a batch of logging steps of a job (fine-tune runs). */
export const stepsPath = (taskId: string) => `/api/agent/tasks/${encodeURIComponent(taskId)}/steps`;

/** Most rows one steps event carries (the server's limit). */
export const MAX_STEP_ROWS = 1000;

/**
 * The steps event of one batch (≤ 1000 rows) and the progress after it. Its `eventId` hashes the content,
 * so the same batch read again (a re-read log) is journaled once, while a step whose values grew (an eval
 * line after its train line) travels again and replaces its row on the server.
 */
export function stepsEvent(taskId: string, attempt: number, rows: readonly StepRow[], progress?: StepProgress): NotifyEvent {
  if (rows.length > MAX_STEP_ROWS) throw new ValidationError(`a steps event carries at most ${MAX_STEP_ROWS} rows (got ${rows.length})`, { reason: 'too_many_steps' });
  const content = { rows, ...(progress ? { progress } : {}) };
  const eventId = `${taskId}:${attempt}:steps:${createHash('sha256').update(JSON.stringify(content)).digest('hex').slice(0, 24)}`;
  return { eventId, path: stepsPath(taskId), body: { ...content, attempt, eventId } };
}

/** The agent route that takes a batch of a job's trainer output lines. */
export const logsPath = (taskId: string) => `/api/agent/tasks/${encodeURIComponent(taskId)}/logs`;

/** Most lines and bytes (UTF-8, all lines together) one shipped log batch carries. */
export const MAX_LOG_BATCH = { lines: 500, bytes: 256 * 1024 } as const;

/**
 * The logs event of batch `seq` (1, 2, … within the attempt) of trainer output lines. The server stores a
 * batch once per (attempt, seq), so a replay after a lost acknowledgement never doubles a line.
 */
export function logsEvent(taskId: string, attempt: number, seq: number, lines: readonly string[]): NotifyEvent {
  if (!Number.isSafeInteger(seq) || seq < 1) throw new ValidationError(`a log batch number must be a positive integer (got ${String(seq)})`, { reason: 'invalid_log_seq' });
  if (lines.length > MAX_LOG_BATCH.lines) throw new ValidationError(`a log batch carries at most ${MAX_LOG_BATCH.lines} lines (got ${lines.length})`, { reason: 'too_many_lines' });
  const eventId = `${taskId}:${attempt}:logs:${seq}`;
  return { eventId, path: logsPath(taskId), body: { attempt, seq, lines: [...lines], eventId } };
}
