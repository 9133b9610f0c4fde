import { JobSchema, type Job } from '@yoloops/core';
import type { Request } from 'express';
import { z } from 'zod';
import { publicBaseUrl } from '../auth/auth-settings.js';
import type { AppServices } from '../services.js';

/** `notify_url` of a job: where a seed 004 caller that sends no header reports (it appends `api/model/train/notify/result`). */
export const NotifyUrlSchema = z
  .string()
  .describe('`<public url>/notify/<job_id>/<secret>/`: a seed 004 caller that sends no Authorization header appends `api/model/train/notify/result` (or `/status`) to it. The secret is the job\'s own; keep the URL private.');

/** The job schema as users see it: the job plus its notify URL. */
export const JobWithNotifyUrlSchema = JobSchema.extend({ notify_url: NotifyUrlSchema }).meta({ id: 'TrainingJobView' });

/** The job's notify URL, computed (never stored) from the server's public URL and the job's secret. */
export function notifyUrlOf(req: Request, services: AppServices, jobId: string): string {
  return `${publicBaseUrl(req)}/notify/${encodeURIComponent(jobId)}/${services.accounts.notifySecret(jobId)}/`;
}

/** The job with its `notify_url`, for a user allowed to see the job. */
export const withNotifyUrl = (req: Request, services: AppServices, job: Job): Job & { notify_url: string } => ({ ...job, notify_url: notifyUrlOf(req, services, job.job_id) });
