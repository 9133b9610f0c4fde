/**
 * The notify-ingest load shared by the notify benches: 64 seeded jobs, each a closed-loop agent posting
 * its next epoch (eight Ultralytics columns) to `POST /api/model/train/notify/result`.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Job } from '@yoloops/core';
import { isQuickRun } from './bench.js';
import { runPhase, type PhaseResult } from './server-child.js';

/** Concurrent agents (and seeded jobs). */
export const AGENTS = 64;

/** Warm-up and measured window of one phase (shrunk in a quick run). */
export const notifyWindow = () => (isQuickRun() ? { warmupMs: 300, measureMs: 1000 } : { warmupMs: 1000, measureMs: 5000 });

/** Eight Ultralytics results.csv columns, as the trainer agent posts them (raw names). */
export function ultralyticsMetrics(epoch: number): Record<string, number> {
  const decay = Math.exp(-epoch / 200);
  return {
    'train/box_loss': 0.5 + decay, 'train/cls_loss': 0.3 + decay, 'train/dfl_loss': 0.9 + decay / 2,
    'metrics/precision(B)': 0.9 - 0.5 * decay, 'metrics/recall(B)': 0.85 - 0.5 * decay,
    'metrics/mAP50(B)': 0.8 - 0.5 * decay, 'metrics/mAP50-95(B)': 0.6 - 0.4 * decay, 'val/box_loss': 0.6 + decay,
  };
}

/**
 * A job to seed under `dataDir`: `completed`, because recordEpoch stores epochs whatever the status and a
 * terminal job is left alone by recovery and the watchdog (a pid-less `running` job would be marked crashed mid-measurement).
 */
export function seedJob(dataDir: string, now: string = new Date().toISOString()): Job {
  const job_id = randomBytes(16).toString('hex');
  return {
    job_id, dataset_id: randomBytes(16).toString('hex'), version: 'v1', model_name: 'yolov8n', base_model_id: null, original_model_path: 'yolov8n.pt',
    epochs: 1_000_000, imgsz: 640, batch: 16, status: 'completed', created_at: now, queued_at: now, started_at: now, completed_at: now, finished_at: now,
    log_file: path.join(dataDir, 'jobs', job_id, 'train.log'), run_dir: path.join(dataDir, 'jobs', job_id, 'train'), attempt: 1, command: [],
  };
}

/** One notify phase against `origin`: agent i reports epochs 1, 2, … of `jobIds[i]`; every answer must be 200 with `success: true`. */
export function runNotifyPhase(origin: string, jobIds: readonly string[], window = notifyWindow()): Promise<PhaseResult> {
  const nextEpoch = new Array<number>(jobIds.length).fill(1);
  return runPhase(origin, jobIds.length, window, async (agent, pool) => {
    const epoch = nextEpoch[agent]!++;
    const trainTaskId = jobIds[agent]!;
    const res = await pool.request({
      method: 'POST', path: '/api/model/train/notify/result', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ trainTaskId, epoch, metrics: ultralyticsMetrics(epoch), attempt: 1, eventId: `${trainTaskId}:1:${epoch}:result` }),
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) return `HTTP ${res.statusCode}: ${text.slice(0, 200)}`;
    const answer = JSON.parse(text) as { success?: unknown };
    return answer.success === true ? undefined : `success ${String(answer.success)}: ${text.slice(0, 200)}`;
  });
}
