import { MAX_SHIPPED_LINES, RUN_FILES_DIR } from '@yoloops/core';
import { z } from 'zod';
import { ReplyWithMessage } from '../http/dialects.js';
import { receiveEachFile, receiveSingleFile } from '../http/multipart.js';
import { defineRoute, type Route } from '../http/route.js';
import { idParam } from './params.js';

/** 500 lines / 256 KiB per batch from the agent; JSON escaping of control bytes can double that. */
const MAX_LOG_BATCH_BYTES = 1_048_576;

const attempt = z.number().int().min(1).max(1_000_000);

const LogBatchSchema = z
  .object({
    attempt: attempt.describe('Attempt (1 + resumes) whose trainer printed the lines; an older one than the job\'s is ignored.'),
    seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).describe('Batch number within the attempt, from 1; a batch already stored is acknowledged and not stored again.'),
    lines: z.array(z.string()).max(MAX_SHIPPED_LINES).describe('Output lines, oldest first (universal newlines; blank lines dropped).'),
    eventId: z.string().max(300).optional().describe('Idempotency key of the agent\'s outbox (informational: (attempt, seq) is the key).'),
  })
  .meta({ id: 'TrainingLogBatch' });

const LogBatchResult = z.object({ stored: z.boolean(), lines: z.number().int(), size: z.number().int().describe('Size of the job log after the call.') }).meta({ id: 'TrainingLogBatchResult' });
const CheckpointResult = z.object({ stored: z.boolean(), size: z.number().int() }).meta({ id: 'TrainingCheckpointResult' });
const RunFilesResult = z.object({ stored: z.boolean(), files: z.number().int(), size: z.number().int() }).meta({ id: 'TrainingRunFilesResult' });
/** Files of one run-files upload at most (a checkpoint folder holds about 15, a run's top level about 20). */
const MAX_RUN_FILES = 64;

const AUTH = ' Auth: the job\'s agent token, an admin\'s token or the job owner\'s; another job\'s agent token is a 403.';

export const agentUploadsRoutes: Route[] = [
  defineRoute({
    method: 'post', path: '/api/agent/tasks/{task_id}/logs', operationId: 'uploadTaskLogs', summary: 'Trainer agent: ship a batch of a job\'s trainer output', tags: ['notify'], dialect: 's004',
    auth: 'agent', rateLimit: 'none',
    description: 'Appends the lines (cleaned as the log routes read them) to the job log that /logs/tail, /logs/lines and /logs/stream serve on every replica, and announces them on the log bus. Stored once per (attempt, seq): a retried batch is acknowledged with `stored: false`. A batch of an attempt older than the job\'s (a replaced worker) is acknowledged and ignored; one ahead of the job is a `success:false` 409.' + AUTH,
    params: z.object({ task_id: idParam('task_id') }),
    body: LogBatchSchema, jsonLimit: MAX_LOG_BATCH_BYTES,
    responses: { 200: { description: '`{success, code, msg, data}`; `msg` says why nothing was stored (`ignored: …`, `already stored: …`).', schema: LogBatchResult } },
    handler: async ({ params, body, services }) => {
      const result = await services.jobs.appendLogs(params.task_id, { attempt: body.attempt, seq: body.seq, lines: body.lines });
      return new ReplyWithMessage(result.note, { stored: result.stored, lines: result.lines, size: result.size });
    },
  }),
  defineRoute({
    method: 'put', path: '/api/agent/tasks/{task_id}/checkpoint', operationId: 'uploadTaskCheckpoint', summary: 'Trainer agent: upload the latest checkpoint (weights/last.pt) of a job', tags: ['notify'], dialect: 's004',
    auth: 'agent', rateLimit: 'none',
    description: 'Streams the `file` part into the job\'s run folder as weights/last.pt (atomically: a scratch file renamed over it), what a resume of the job starts from on any worker. At most 4 GiB (larger is a `success:false` 413, the stored one stays). An upload of an attempt older than the job\'s, or one the job moved past while it arrived, is drained and ignored (`stored: false`).' + AUTH,
    params: z.object({ task_id: idParam('task_id') }),
    query: z.object({ attempt: z.string().regex(/^\d{1,7}$/, 'attempt must be a positive integer').transform(Number).describe('Attempt whose trainer wrote the checkpoint.') }),
    multipart: { fileField: 'file', description: 'weights/last.pt as the `file` part' },
    responses: { 200: { description: '`{success, code, msg, data}`; `msg` says why nothing was stored.', schema: CheckpointResult } },
    handler: async ({ params, query, req, services }) => {
      const result = await receiveSingleFile(req, { field: 'file' }, (file) => services.jobs.storeCheckpoint(params.task_id, query.attempt, file.stream));
      return new ReplyWithMessage(result.note, { stored: result.stored, size: result.size });
    },
  }),
  defineRoute({
    method: 'put', path: '/api/agent/tasks/{task_id}/run-files', operationId: 'uploadTaskRunFiles', summary: 'Trainer agent: upload a fine-tune\'s checkpoint folder or final outputs', tags: ['notify'], dialect: 's004',
    auth: 'agent', rateLimit: 'none',
    description: `A remote worker's LLaMA-Factory run into the job's run folder on the server: \`dir=checkpoint-N\` stores the \`file\` parts as that checkpoint folder, all or nothing, and removes older uploaded checkpoints (a resume on any worker continues from the newest); \`dir\` empty stores them at the run folder's top level, each file renamed into place (the adapter, full model, metrics and GGUF files the completion of the job collects, so the agent sends them before it reports \`completed\`). Part file names are plain names (letters, digits, \`. _ -\`; no folders, no dot-files); at most ${MAX_RUN_FILES} files, 64 GiB each. Only for llm-finetune jobs (a detector's is a \`success:false\` 409). An upload of an attempt older than the job's, or one the job moved past while it arrived, is drained and ignored (\`stored: false\`).` + AUTH,
    params: z.object({ task_id: idParam('task_id') }),
    query: z.object({
      attempt: z.string().regex(/^\d{1,7}$/, 'attempt must be a positive integer').transform(Number).describe('Attempt whose trainer wrote the files.'),
      dir: z.string().max(40).regex(RUN_FILES_DIR, 'dir must be empty (the run folder) or checkpoint-<N>').default('').describe('`checkpoint-<N>`, or empty for the run folder\'s top level.'),
    }),
    multipart: { fileField: 'file', repeated: true, description: 'The folder\'s files as repeated `file` parts, each named by its file name' },
    responses: { 200: { description: '`{success, code, msg, data}`; `msg` says why nothing was stored.', schema: RunFilesResult } },
    handler: async ({ params, query, req, services }) => {
      const result = await services.jobs.storeRunFiles(params.task_id, query.attempt, query.dir, (sink) =>
        receiveEachFile(req, { field: 'file', maxFiles: MAX_RUN_FILES }, (file) => sink(file.filename, file.stream)));
      return new ReplyWithMessage(result.note, { stored: result.stored, files: result.files, size: result.size });
    },
  }),
];
