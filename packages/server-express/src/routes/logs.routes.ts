import { isTerminal, jobKeys, lastLinesOffset, LOG_CHUNK_LINES, readLastLogLines, readLogChunk, type JobStatus, type LogBusMessage } from '@yoloops/core';
import { z } from 'zod';
import { openSse, type SseChannel } from '../http/sse.js';
import { defineRoute, type Route, type RouteContext } from '../http/route.js';
import { errorResponses, refParam } from './params.js';

/** Poll interval of the SSE stream (the origin polled every second). */
const POLL_MS = 500;
/** How long the stream waits for a log that has not appeared (job not queued). */
const WAIT_FOR_LOG_MS = 5000;
/** Grace read after the job ended, for output written just before the process exited. */
const FINAL_GRACE_MS = 1000;

const intQuery = (name: string, fallback: number) =>
  z.string().regex(/^-?\d{1,16}$/, `${name} must be an integer`).default(String(fallback)).transform(Number);

const JobQuery = z.object({ job_id: refParam('job_id', 'job', 'job_…') });
const TailQuery = JobQuery.extend({ offset: intQuery('offset', 0).describe('Byte offset: 0, or the `offset` of the previous answer.') });
const LinesQuery = JobQuery.extend({ n: intQuery('n', 100).describe('Last n lines; 0 = all (at most 10,000).') });
const PathParams = z.object({ job_id: JobQuery.shape.job_id });

const TailResult = z
  .object({
    lines: z.array(z.string()),
    offset: z.number().int().describe('Byte offset of the next call (always at a line start).'),
    size: z.number().int().describe('Size of the log when read.'),
    eof: z.boolean().describe('Whether this answer reached the end of the log.'),
    error: z.string().optional(),
  })
  .meta({ id: 'LogTail' });
const LinesResult = z
  .object({ lines: z.array(z.string()), total: z.number().int(), returned: z.number().int(), error: z.string().optional() })
  .meta({ id: 'LogLines' });

async function tail({ services }: RouteContext<unknown, unknown, unknown>, jobId: string, offset: number) {
  const job = await services.jobs.get(jobId).catch(() => undefined);
  const chunk = await readLogChunk(services.blobs, jobKeys(jobId).log, offset, { maxLines: LOG_CHUNK_LINES, final: job === undefined || isTerminal(job.status) });
  return { lines: chunk.lines, offset: chunk.offset, size: chunk.size, eof: chunk.offset >= chunk.size, ...(chunk.exists ? {} : { error: 'Log file not found' }) };
}

async function lines({ services }: RouteContext<unknown, unknown, unknown>, jobId: string, n: number) {
  const read = await readLastLogLines(services.blobs, jobKeys(jobId).log, n);
  return { lines: read.lines, total: read.total, returned: read.lines.length, ...(read.exists ? {} : { error: 'Log file not found' }) };
}

/** Bus messages of one job queued for its stream; `wait` resolves at the next message or after `ms`. */
function busInbox(sse: SseChannel) {
  const queue: LogBusMessage[] = [];
  let wake: (() => void) | undefined;
  return {
    listener(message: LogBusMessage) {
      queue.push(message);
      wake?.();
    },
    take: () => queue.splice(0),
    async wait(ms: number) {
      if (queue.length > 0) return;
      await Promise.race([sse.sleep(ms), new Promise<void>((resolve) => (wake = resolve))]);
      wake = undefined;
    },
  };
}

/**
 * SSE: the last 50 raw lines, then new lines as they are appended; ends after the job has ended. Lines
 * shipped to any replica arrive on the log bus: a message that starts where the stream stands is sent as
 * it is, anything else (a gap, a bus without lines, a local trainer writing the file) is read from the
 * stored log at the stream's byte offset, so no line is lost or sent twice.
 */
async function stream({ req, res, services }: RouteContext<unknown, unknown, unknown>, jobId: string): Promise<void> {
  const sse = openSse(req, res);
  const key = jobKeys(jobId).log;
  const job = () => services.jobs.get(jobId).catch(() => undefined);
  const status = async (): Promise<JobStatus | undefined> => (await job())?.status;
  // A remote worker's job has no log until its agent ships the first lines (after the dataset download): wait while it runs.
  const mayStillLog = (j: Awaited<ReturnType<typeof job>>) => j !== undefined && (j.status === 'queued' || (j.worker_id !== undefined && !isTerminal(j.status)));
  const inbox = busInbox(sse);
  // Subscribed before the first read: an append after it is either in that read or heard.
  const unsubscribe = await services.jobs.followLog(jobId, inbox.listener).catch(() => () => {});
  try {
    for (let waited = 0; !(await services.blobs.stat(key)); waited += POLL_MS) {
      const now = await job();
      if (sse.closed) return;
      if (now === undefined || (!mayStillLog(now) && waited >= WAIT_FOR_LOG_MS)) {
        await sse.send('Log file not found');
        return;
      }
      await inbox.wait(POLL_MS);
    }
    let offset = await lastLinesOffset(services.blobs, key, LOG_CHUNK_LINES);
    const drain = async (final: boolean) => {
      for (const message of inbox.take()) {
        if (message.lines === undefined || message.offset !== offset || message.end === undefined) continue;
        for (const line of message.lines) await sse.send(line);
        offset = message.end;
      }
      while (!sse.closed) {
        const chunk = await readLogChunk(services.blobs, key, offset, { maxLines: LOG_CHUNK_LINES, final });
        for (const line of chunk.lines) await sse.send(line);
        if (chunk.offset === offset) return;
        offset = chunk.offset;
      }
    };
    while (!sse.closed) {
      const now = await status();
      await drain(false);
      if (now === undefined || isTerminal(now)) {
        await sse.sleep(FINAL_GRACE_MS);
        await drain(true);
        return;
      }
      await inbox.wait(POLL_MS);
    }
  } catch (error) {
    await sse.send(`Error reading log: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    unsubscribe();
    sse.end();
  }
}

const streamResponses = { 200: { description: 'text/event-stream: one `data:` event per log line; `: ping` comments every 15 s', contentType: 'text/event-stream' }, ...errorResponses(400, 422) };
const tailResponses = { 200: { description: 'Up to 50 raw lines from the offset (blank ones dropped)', schema: TailResult }, ...errorResponses(400, 422) };
const linesResponses = { 200: { description: 'The last n non-blank lines', schema: LinesResult }, ...errorResponses(400, 422) };

export const logsRoutes: Route[] = [
  defineRoute({
    method: 'get', path: '/logs/stream', operationId: 'streamJobLog', summary: 'Follow a job log (SSE)', tags: ['logs'],
    description: 'The origin\'s route: the last 50 lines, then new lines as they are appended (by a local trainer, or shipped by a remote worker\'s agent to any server replica: the log bus brings them to this one); closes after the job ends (after a final read). `Log file not found` when no log appears.',
    query: JobQuery, responses: streamResponses,
    handler: (ctx) => stream(ctx, ctx.query.job_id),
  }),
  defineRoute({
    method: 'get', path: '/logs/tail', operationId: 'tailJobLog', summary: 'Read a job log from a byte offset', tags: ['logs'],
    description: 'At most 50 raw lines from `offset`, only whole lines (a job that has ended also returns its unterminated last line). Offsets are plain byte positions.',
    query: TailQuery, responses: tailResponses,
    handler: (ctx) => tail(ctx, ctx.query.job_id, ctx.query.offset),
  }),
  defineRoute({
    method: 'get', path: '/logs/lines', operationId: 'lastJobLogLines', summary: 'The last n lines of a job log', tags: ['logs'],
    query: LinesQuery, responses: linesResponses,
    handler: (ctx) => lines(ctx, ctx.query.job_id, ctx.query.n),
  }),
  defineRoute({
    method: 'get', path: '/train/jobs/{job_id}/logs/stream', operationId: 'streamTrainingJobLog', summary: 'Follow a job log (SSE; same as /logs/stream)', tags: ['logs'],
    params: PathParams, responses: streamResponses,
    handler: (ctx) => stream(ctx, ctx.params.job_id),
  }),
  defineRoute({
    method: 'get', path: '/train/jobs/{job_id}/logs/tail', operationId: 'tailTrainingJobLog', summary: 'Read a job log from a byte offset (same as /logs/tail)', tags: ['logs'],
    params: PathParams, query: z.object({ offset: TailQuery.shape.offset }), responses: tailResponses,
    handler: (ctx) => tail(ctx, ctx.params.job_id, ctx.query.offset),
  }),
  defineRoute({
    method: 'get', path: '/train/jobs/{job_id}/logs/lines', operationId: 'lastTrainingJobLogLines', summary: 'The last n lines of a job log (same as /logs/lines)', tags: ['logs'],
    params: PathParams, query: z.object({ n: LinesQuery.shape.n }), responses: linesResponses,
    handler: (ctx) => lines(ctx, ctx.params.job_id, ctx.query.n),
  }),
];
