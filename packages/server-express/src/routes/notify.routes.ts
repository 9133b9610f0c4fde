import { z } from 'zod';
import { ReplyWithMessage } from '../http/dialects.js';
import { defineRoute, type Route } from '../http/route.js';
import { idParam } from './params.js';

/** Largest notify body: a report is a few hundred bytes; an agent's epoch with every column is a few kB. */
const MAX_NOTIFY_BYTES = 100_000;

const taskId = z
  .union([z.string().trim().min(1).max(128), z.number().int().nonnegative()])
  .describe('A job id: ours, or the caller\'s own task id (32 lowercase hex digits, uuid4().hex), whose first report registers an external job. The seed types it int64 in /result and string in /status; the real caller sends a 32-hex string in both. Numbers are read as their decimal text.');
const metricValue = z.number().nullish();
const attempt = z.number().int().min(1).max(1_000_000).optional().describe('yoloops agent: attempt (1 + resumes) that produced the report; default the job\'s current attempt.');
const eventId = z.string().max(300).optional().describe('yoloops agent: idempotency key of the report (reports are idempotent without it).');

const ResultNotifySchema = z
  .object({
    trainTaskId: taskId,
    epoch: z.number().int().min(0).max(1_000_000).describe('Epoch number as the trainer counts it (the seed caller: 1-based).'),
    accuracy: metricValue.describe('Train accuracy (fraction 0–1 or percentage)'),
    loss: metricValue,
    valAccuracy: metricValue,
    valLoss: metricValue,
    f1Score: metricValue.describe('Fraction 0–1 or percentage'),
    metrics: z.record(z.string(), z.number().nullable()).optional().describe('yoloops agent: every results.csv column of the epoch, by raw name.'),
    attempt,
    eventId,
  })
  .meta({ id: 'SpecialModelTrainResultNotifyReq' });

const StatusNotifySchema = z
  .object({
    trainTaskId: taskId,
    statusType: z.number().int().min(1).max(5).describe('1 queued, 2 running, 3 completed, 4 failed, 5 stopped/cancelled'),
    failureMessage: z.string().max(10_000).nullish().describe('Why it failed or stopped; may be empty or missing. Kept up to 500 characters.'),
    attempt,
    eventId,
  })
  .meta({ id: 'SpecialModelTrainStatusChangeNotifyReq' });


const SEED_FIELDS = ['accuracy', 'loss', 'valAccuracy', 'valLoss', 'f1Score'] as const;
const responses = {
  200: {
    description: '`{success, code, msg, data}`, always HTTP 200: `success:false` with code 400 (malformed body, naming the field), 404 (unknown trainTaskId that is not a 32-hex caller id), 409 (the cap on external jobs is reached) or 413.',
    schema: z.string(),
  },
};
const EXTERNAL = ' The first report for an unknown 32-hex task id registers an external job (`external: true`, queued) that follows its caller\'s reports; nothing runs here.';

const AUTH = ' Auth: the job\'s agent token, an admin\'s token or the job owner\'s (another job\'s agent token is a `success:false` 403); with auth off, none. A caller that sends no header uses the job\'s `notify_url` instead.';

const plainRoutes: Route[] = [
  defineRoute({
    method: 'post', path: '/api/model/train/notify/result', operationId: 'notifyTrainResult', summary: 'Seed 004: per-epoch training result', tags: ['notify'], dialect: 's004',
    auth: 'agent', rateLimit: 'none',
    description: 'Stores one epoch of a job: the seed fields and the agent\'s `metrics` map, names canonicalised and percentages read as fractions. The same epoch posted again is stored once; a later attempt (after a resume) replaces it, an older one never does. An external job still queued moves to running.' + EXTERNAL + AUTH,
    body: ResultNotifySchema, jsonLimit: MAX_NOTIFY_BYTES,
    responses,
    handler: async ({ body, services }) => {
      const values: Record<string, number | null | undefined> = {};
      for (const name of SEED_FIELDS) if (body[name] !== undefined) values[name] = body[name];
      for (const [name, value] of Object.entries(body.metrics ?? {})) if (name !== 'epoch' && !Object.hasOwn(values, name)) values[name] = value;
      const jobId = String(body.trainTaskId);
      const { stored, attempt: by, registered, superseded } = await services.jobs.recordEpoch(jobId, { epoch: body.epoch, metrics: values, ...(body.attempt === undefined ? {} : { attempt: body.attempt }) });
      if (registered) return new ReplyWithMessage('ok: registered as an external job (running)', '');
      if (superseded !== undefined) return new ReplyWithMessage(`ignored: report from attempt ${by}, the job is on attempt ${superseded}`, '');
      return new ReplyWithMessage(stored ? 'ok' : `ok: epoch ${body.epoch} is kept from a later attempt than ${by}`, '');
    },
  }),
  defineRoute({
    method: 'post', path: '/api/model/train/notify/status', operationId: 'notifyTrainStatus', summary: 'Seed 004: training status change', tags: ['notify'], dialect: 's004',
    auth: 'agent', rateLimit: 'none',
    description: 'Moves the job through the lifecycle table: 2 → running, 3 → completed, 4 → failed (failureMessage as the error), 5 → stopped. A repeated status, a report from an older attempt, a move the table forbids (e.g. 2 after 3) and 1 (queued: only a resume re-queues) are acknowledged with `success:true` and a `msg` saying nothing changed. A 3 for an external job still queued (its 2 lost) goes by way of running.' + EXTERNAL + AUTH,
    body: StatusNotifySchema, jsonLimit: MAX_NOTIFY_BYTES,
    responses,
    handler: async ({ body, services }) => {
      const result = await services.jobs.reportStatus(String(body.trainTaskId), {
        statusType: body.statusType, ...(body.failureMessage ? { message: body.failureMessage } : {}), ...(body.attempt === undefined ? {} : { attempt: body.attempt }),
      });
      return new ReplyWithMessage(result.changed && !result.registered ? 'ok' : `ok: ${result.note}`, '');
    },
  }),
];

const SecretParams = z.object({
  job_id: idParam('job_id'),
  secret: z.string().regex(/^[A-Za-z0-9_-]{16,256}$/, 'a notify secret is 16–256 letters, digits, _ or -').describe('The job\'s notify secret, as in its `notify_url`.'),
});

/**
 * The same report under a job's notify URL (`/notify/{job_id}/{secret}/` + the seed's path), for seed
 * 004 callers that send no header: the path's secret is the credential, `trainTaskId` must be the job.
 */
const withSecret = (route: Route): Route => ({
  ...route, path: `/notify/{job_id}/{secret}${route.path}`, operationId: `${route.operationId}WithSecret`, summary: `${route.summary} (job notify URL)`,
  auth: 'notify-secret', params: SecretParams,
  description: `${route.description ?? ''} Under the job's \`notify_url\` (GET /train/jobs/{job_id}): no header needed; a wrong secret or a body for another job is a \`success:false\` 403 and nothing is stored.`,
});

export const notifyRoutes: Route[] = [...plainRoutes, ...plainRoutes.map(withSecret)];
