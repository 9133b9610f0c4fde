import { InvalidStateError, NotFoundError, ValidationError } from '../errors.js';
import { fencedTransition, heldBy } from '../jobs/fenced-transition.js';
import { jobKeys, type LocalBlobStore } from '../jobs/job-paths.js';
import { RESUMED_FROM_START } from '../jobs/job-requests.js';
import { describeExit } from '../jobs/job-runner.js';
import type { JobStore } from '../jobs/job-store.port.js';
import type { Job, JobPatch, TrainerCommand } from '../jobs/job.schema.js';
import type { Clock } from '../platform/clock.port.js';
import { labelsSatisfy } from './worker-queues.js';
import type { WorkerStore } from './worker-store.port.js';
import { finetuneResumePoint } from '../jobs/finetune-requests.js';
import { attemptWeightsKey, buildWorkOrder, dataRootKey } from './work-order.js';
import {
  WorkerClaimSchema, WorkerExitSchema, WorkerHeartbeatSchema, WorkerIdSchema,
  type ClaimRefusalReason, type WorkerCancel, type WorkerHeartbeatAnswer, type WorkerExitAnswer, type WorkerRecord, type WorkerView, type WorkOrder,
} from './worker.schema.js';
import type { z } from 'zod';

/** What the worker use cases need: jobs, workers, the data root, time, timing and how to build an attempt's order. */
export interface WorkerDispatchDeps {
  jobs: JobStore;
  workers: WorkerStore;
  blobs: LocalBlobStore;
  clock: Clock;
  /** A worker silent this long is dead: its running jobs may be claimed by another (default 15000 ms). */
  timeoutMs?: number;
  /** Heartbeat cadence workers are told (default 2000 ms). */
  heartbeatMs?: number;
  /** The trainer templates of a job (its own, or the server's default of its kind). */
  trainerFor(job: Job): TrainerCommand;
  /** The job-scoped agent token of an attempt (null: the server needs none). */
  agentTokenFor(job: Job): Promise<string | null>;
  /** The failure message of a clean exit whose agent never reported (the reports never arrived). */
  describeUnreportedExit(job: Job): string;
}

const parse = <S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> => {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new ValidationError(`invalid ${what}: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`, { reason: 'invalid_worker_request' });
};
const refuse = (reason: ClaimRefusalReason, job: Job, message: string): never => {
  throw new InvalidStateError(message, { reason, details: { job_id: job.job_id, status: job.status, attempt: job.attempt } });
};
const CLEARED: JobPatch = { pid: undefined, exit_code: undefined, signal: undefined, error: undefined, finished_at: undefined };

/**
 * Dispatch mode's worker side of the job lifecycle: heartbeats (and the cancels they answer), claims (each a
 * compare-and-set; a job held by a silent worker becomes a new attempt from the stored checkpoint) and exits,
 * fenced so that a report of an older attempt or of another worker changes nothing.
 */
export function createWorkerDispatch(deps: WorkerDispatchDeps) {
  const { jobs, workers, clock } = deps;
  const timeoutMs = deps.timeoutMs ?? 15_000;
  const heartbeatMs = deps.heartbeatMs ?? 2000;
  const now = () => clock.now().toISOString();
  const isAlive = (record: WorkerRecord | undefined) => record !== undefined && clock.now().getTime() - Date.parse(record.last_heartbeat) < timeoutMs;
  // Heartbeats could not arrive while this server was down: nobody is judged silent before one timeout after its start.
  const startedAt = clock.now().getTime();
  const recent = (iso: string | undefined) => iso !== undefined && clock.now().getTime() - Math.max(Date.parse(iso), startedAt) < timeoutMs;
  /** Whether the job's holder still runs it: heard from lately, and listing the attempt (or claimed it lately: its next heartbeat will). */
  const holderRuns = (job: Job, holder: WorkerRecord | undefined) =>
    holder !== undefined && recent(holder.last_heartbeat) &&
    (holder.jobs.some((ref) => ref.job_id === job.job_id && ref.attempt === job.attempt) || recent(job.started_at));
  const workerId = (id: string) => parse(WorkerIdSchema, id, 'worker id');
  const mustGet = async (jobId: string) => {
    const job = await jobs.get(jobId);
    if (job === undefined) throw new NotFoundError('Job not found', { reason: 'job_not_found', details: { job_id: jobId } });
    return job;
  };
  const order = async (job: Job): Promise<WorkOrder> =>
    buildWorkOrder({ job, trainer: deps.trainerFor(job), agentToken: await deps.agentTokenFor(job), blobs: deps.blobs });

  /** Why the server no longer wants `attempt` of `jobId` on this worker, or undefined when it still does. */
  async function cancelReason(id: string, jobId: string, attempt: number): Promise<WorkerCancel['reason'] | undefined> {
    const job = await jobs.get(jobId);
    if (job === undefined) return 'deleted';
    if (job.attempt !== attempt || job.worker_id !== id) return 'superseded';
    return job.status === 'stopped' || job.status === 'failed' || job.status === 'crashed' ? 'stopped' : undefined;
  }

  async function heartbeat(rawId: string, body: unknown): Promise<WorkerHeartbeatAnswer> {
    const id = workerId(rawId);
    const beat = parse(WorkerHeartbeatSchema, body, 'heartbeat');
    await workers.heartbeat({ worker_id: id, ...beat, last_heartbeat: now() });
    const cancel: WorkerCancel[] = [];
    for (const ref of beat.jobs) {
      const reason = await cancelReason(id, ref.job_id, ref.attempt);
      if (reason !== undefined) cancel.push({ ...ref, reason });
    }
    return { cancel, heartbeat_ms: heartbeatMs, timeout_ms: timeoutMs };
  }

  /** A running job taken over by `id`: attempt + 1 from the server's stored checkpoint (or the start), if nobody moved it meanwhile. */
  async function takeOver(id: string, job: Job): Promise<Job | undefined> {
    const lastPt = jobKeys(job.job_id).lastPt;
    // A detector resumes from weights/last.pt, a fine-tune from its newest uploaded checkpoint-N folder.
    const from = job.kind === 'llm-finetune' ? await finetuneResumePoint(deps.blobs, job)
      : (await deps.blobs.stat(lastPt)) ? deps.blobs.localPath(lastPt) : RESUMED_FROM_START;
    const at = now();
    return fencedTransition(jobs, job.job_id, { from: ['running'], to: 'running' }, (current) => current.attempt === job.attempt && current.worker_id === job.worker_id, (current) => ({
      ...CLEARED, attempt: current.attempt + 1, resume_count: (current.resume_count ?? 0) + 1, resumed_at: at, resumed_from: from,
      worker_id: id, started_at: at, command: [],
    }));
  }

  /** Records the claim as a sign of life (and the job among the worker's), so the watchdog never takes a fresh claim for a dead worker's. */
  async function noteClaim(id: string, self: WorkerRecord | undefined, job: Job): Promise<WorkOrder> {
    const base: WorkerRecord = self ?? { worker_id: id, labels: {}, hostname: '', concurrency: 1, version: '', jobs: [], gpus: [], last_heartbeat: now() };
    const held = base.jobs.filter((ref) => ref.job_id !== job.job_id);
    await workers.heartbeat({ ...base, jobs: [...held, { job_id: job.job_id, attempt: job.attempt }], last_heartbeat: now() });
    return order(job);
  }

  /** One round of a claim: the claimed job, a refusal (thrown), or undefined when a compare-and-set lost (try again). */
  async function claimRound(id: string, attempt: number, job: Job): Promise<Job | undefined> {
    const superseded = () => refuse('attempt_superseded', job, `attempt ${attempt} of job ${job.job_id} was superseded by attempt ${job.attempt}`);
    if (job.status === 'queued') {
      if (attempt < job.attempt) return superseded();
      return fencedTransition(jobs, job.job_id, { from: ['queued'], to: 'running' }, () => true, { ...CLEARED, worker_id: id, started_at: now(), command: [] });
    }
    if (job.status !== 'running') return refuse('not_queued', job, `job ${job.job_id} is ${job.status}`);
    if (job.worker_id === undefined) return refuse('not_queued', job, `job ${job.job_id} runs on the server, not on a worker`);
    // A holder that went silent, or lives but no longer lists the attempt (it restarted and lost the process), gives the job up.
    const runs = holderRuns(job, await workers.get(job.worker_id));
    if (attempt < job.attempt && runs) return superseded();
    if (runs) return refuse('held_by_live_worker', job, `job ${job.job_id} runs on worker ${job.worker_id}, which is alive`);
    return takeOver(id, job);
  }

  async function claim(rawId: string, body: unknown): Promise<WorkOrder> {
    const id = workerId(rawId);
    const ref = parse(WorkerClaimSchema, body, 'claim');
    const self = await workers.get(id);
    for (let round = 0; round < 5; round++) {
      const job = await mustGet(ref.job_id);
      if (job.external === true) return refuse('not_queued', job, `job ${job.job_id} is run by its caller`);
      if (self !== undefined && !labelsSatisfy(self.labels, job.worker_labels)) {
        return refuse('labels_mismatch', job, `worker ${id} lacks the labels job ${job.job_id} requires`);
      }
      const claimed = await claimRound(id, ref.attempt, job);
      if (claimed !== undefined) return noteClaim(id, self, claimed);
    }
    throw new InvalidStateError(`job ${ref.job_id} kept changing while being claimed; try again`, { reason: 'conflict', details: { job_id: ref.job_id } });
  }

  async function exit(rawId: string, jobId: string, body: unknown): Promise<WorkerExitAnswer> {
    const id = workerId(rawId);
    const report = parse(WorkerExitSchema, body, 'exit');
    const job = await mustGet(jobId);
    const guard = heldBy(id, report.attempt);
    if (!guard(job)) return { stored: false, status: job.status };
    const at = now();
    const facts: JobPatch = { ...(report.code === null ? {} : { exit_code: report.code }), ...(report.signal === null ? {} : { signal: report.signal }), finished_at: at };
    const outputTail = report.output_tail;
    const moved = report.code !== 0
      ? await fencedTransition(jobs, jobId, { from: ['running'], to: 'failed' }, guard, { ...facts, failed_at: at, error: describeExit({ code: report.code, signal: report.signal, outputTail }) })
      : await fencedTransition(jobs, jobId, { from: ['running'], to: 'failed' }, guard, (current) => ({ ...facts, failed_at: at, error: deps.describeUnreportedExit(current) }));
    if (moved !== undefined) return { stored: true, status: moved.status };
    // Already ended (the agent reported, or a person stopped it): keep that status, add this attempt's exit facts once.
    for (const status of ['stopped', 'completed', 'failed', 'crashed'] as const) {
      const kept = await fencedTransition(jobs, jobId, { from: [status], to: status }, (current) => guard(current) && current.exit_code === undefined && current.signal === undefined, facts);
      if (kept !== undefined) return { stored: true, status };
    }
    return { stored: false, status: (await mustGet(jobId)).status };
  }

  async function list(): Promise<WorkerView[]> {
    return (await workers.list()).map((record) => ({
      ...record, current_job: record.jobs[0]?.job_id ?? null, alive: isAlive(record),
    }));
  }

  /** The job of a claimed attempt (for its downloads); 409 `attempt_superseded` when the job moved on to another attempt. */
  async function attemptJob(jobId: string, attempt: number): Promise<Job> {
    const job = await mustGet(jobId);
    if (job.attempt !== attempt) refuse('attempt_superseded', job, `attempt ${attempt} of job ${jobId} was superseded by attempt ${job.attempt}`);
    return job;
  }

  /**
   * Data-root key of the weights a claimed attempt starts from (a file; for a fine-tune a checkpoint-N folder,
   * `folder: true`); NOT_FOUND when it starts from a model name or the weights are gone.
   */
  async function attemptWeights(jobId: string, attempt: number): Promise<{ key: string; folder: boolean }> {
    const job = await attemptJob(jobId, attempt);
    const key = attemptWeightsKey(job, deps.blobs);
    const folder = job.kind === 'llm-finetune';
    const present = key !== undefined && (folder ? (await deps.blobs.list(key)).length > 0 : (await deps.blobs.stat(key)) !== undefined);
    if (key === undefined || !present) {
      throw new NotFoundError(`attempt ${attempt} of job ${jobId} starts from no stored weights`, { reason: 'weights_not_found', details: { job_id: jobId } });
    }
    return { key, folder };
  }

  /** Data-root key of a claimed fine-tune attempt's processed dataset folder (what its dataset download zips). */
  async function attemptDatasetFolder(job: Job): Promise<string> {
    const key = job.llm === undefined ? undefined : dataRootKey(deps.blobs, job.llm.dataset_dir);
    if (key === undefined || (await deps.blobs.list(key)).length === 0) {
      throw new NotFoundError(`the dataset folder of job ${job.job_id} is gone from the data root: process the instruction dataset again and start a new fine-tune`, { reason: 'dataset_not_found', details: { job_id: job.job_id } });
    }
    return key;
  }

  return {
    heartbeat, claim, exit, list, attemptJob, attemptWeights, attemptDatasetFolder,
    /** Whether a running job's worker gave it up: silent past the timeout, or alive without listing its attempt. */
    async isAbandoned(job: Job): Promise<boolean> {
      return job.worker_id !== undefined && !holderRuns(job, await workers.get(job.worker_id));
    },
    timeoutMs,
  };
}

/** The worker use cases of dispatch mode. */
export type WorkerDispatch = ReturnType<typeof createWorkerDispatch>;
