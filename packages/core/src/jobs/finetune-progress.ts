import type { JobProgress } from './finetune.schema.js';
import type { JobStatus } from './job.schema.js';

/**
 * Percent done of a fine-tune (1 decimal, 0–100): 100 once completed, else the trainer's last reported
 * `percentage` (LLaMA-Factory's own), else its steps done ÷ total steps, else 0 before the first report.
 * @example finetuneProgress({ status: 'running', progress: { percentage: 45.5, current_steps: 91, total_steps: 200, attempt: 1, updated_at } }) // 45.5
 */
export function finetuneProgress(job: { status: JobStatus; progress?: JobProgress | undefined }): number {
  if (job.status === 'completed') return 100;
  const p = job.progress;
  if (p === undefined) return 0;
  const percent = Number.isFinite(p.percentage) ? p.percentage : p.total_steps > 0 ? (100 * p.current_steps) / p.total_steps : 0;
  return Math.min(100, Math.max(0, Math.round(percent * 10) / 10));
}
