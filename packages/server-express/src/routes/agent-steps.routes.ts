import { MAX_STEPS_PER_REPORT, STEP_LIMITS } from '@yoloops/core';
import { z } from 'zod';
import { ReplyWithMessage } from '../http/dialects.js';
import { defineRoute, type Route } from '../http/route.js';
import { idParam } from './params.js';

/** A full batch of 1000 steps with a dozen values each stays well below this. */
const MAX_STEPS_BYTES = 2_000_000;

const StepRowSchema = z.object({
  step: z.number().int().min(0).max(STEP_LIMITS.maxStep).describe('Global step (`current_steps` of trainer_log.jsonl, `step` of log_history).'),
  values: z.record(z.string(), z.number().nullable()).describe('loss, eval_loss, lr, epoch (fractional), grad_norm…; null = NaN/inf.'),
});

const StepsReportSchema = z
  .object({
    rows: z.array(StepRowSchema).max(MAX_STEPS_PER_REPORT),
    progress: z
      .object({
        percentage: z.number().min(0).max(100),
        current_steps: z.number().int().min(0),
        total_steps: z.number().int().min(0),
        remaining_time: z.string().max(32).optional(),
      })
      .optional()
      .describe('The trainer\'s progress after these rows (LLaMA-Factory percentage); it only moves forward within an attempt.'),
    attempt: z.number().int().min(1).max(1_000_000).optional().describe('Attempt (1 + resumes) that produced the rows; default the job\'s current attempt.'),
    eventId: z.string().max(300).optional().describe('Idempotency key of the report (rows are idempotent by step anyway).'),
  })
  .meta({ id: 'TrainingStepsReport' });

export const agentStepsRoutes: Route[] = [
  defineRoute({
    method: 'post', path: '/api/agent/tasks/{task_id}/steps', operationId: 'reportTaskSteps', summary: 'Trainer agent: step-level metrics of a job', tags: ['notify'], dialect: 's004',
    auth: 'agent', rateLimit: 'none',
    description: 'Stores logging steps of a job (LLaMA-Factory trainer_log.jsonl, HF Trainer log_history): one row per (job, step); the same step again is stored once, a later attempt replaces it, an older one never does; NaN/inf are null. Every row is checked before any is stored. `progress` sets the job\'s progress (percentage, steps) unless it is behind what is stored for that attempt. Auth: the job\'s agent token, an admin\'s token or the job owner\'s; another job\'s agent token is a 403.',
    params: z.object({ task_id: idParam('task_id') }),
    body: StepsReportSchema, jsonLimit: MAX_STEPS_BYTES,
    responses: { 200: { description: '`{success, code, msg, data}`: `success:false` with code 400 (a bad row, naming it) or 404 (unknown job).', schema: z.string() } },
    handler: async ({ params, body, services }) => {
      const { stored, attempt, superseded } = await services.jobs.recordSteps(params.task_id, {
        rows: body.rows, ...(body.progress === undefined ? {} : { progress: body.progress }), ...(body.attempt === undefined ? {} : { attempt: body.attempt }),
      });
      if (superseded !== undefined) return new ReplyWithMessage(`ignored: report from attempt ${attempt}, the job is on attempt ${superseded}`, '');
      const kept = body.rows.length - stored;
      return new ReplyWithMessage(kept === 0 ? 'ok' : `ok: ${kept} step(s) kept from a later attempt than ${attempt}`, '');
    },
  }),
];
