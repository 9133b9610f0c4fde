import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  checkArgvTemplate, renderArgv, WorkOrderSchema, type DispatchMessage, type TrainingExecutor, type TrainingExit, type WorkOrder,
} from '@yoloops/core';
import type { DatasetCache } from './dataset-cache.js';
import { safeSegment } from './dataset-cache.js';
import { downloadUntilDone, postUntilAnswered, type RetryOptions } from './retry.js';
import type { WorkerHttp } from './worker-http.js';

/** Largest weights file a worker downloads (checkpoints of big models included). */
const MAX_WEIGHTS_BYTES = 64 * 1024 ** 3;

/** What one attempt needs from the worker around it. */
export interface AttemptDeps {
  workerId: string;
  serverUrl: string;
  http: WorkerHttp;
  datasets: DatasetCache;
  executor: TrainingExecutor;
  /** `<workDir>/jobs`: each attempt runs in `<jobs>/<job_id>/a<attempt>/`. */
  jobsDir: string;
  /** Program (and its first arguments) of the trainer agent, e.g. `[node, …/cli.js]`. */
  agentCommand: readonly string[];
  /** Extra `yoloops-agent run` flags (`--ship-logs`, `--checkpoints`). */
  agentFlags: readonly string[];
  /** `--flush-timeout` of the agent: how long it keeps its reports coming after the trainer ended while the server is away (default 3600 s). */
  agentFlushTimeoutS?: number;
  retry: RetryOptions;
  log: (line: string) => void;
}

/** How the claim of a message came out: a work order to run, the server's refusal, or a claimed attempt whose order cannot be read. */
export type ClaimOutcome = { order: WorkOrder } | { refused: string } | { unreadable: string; attempt: number } | { unauthorized: number };

/** POSTs the claim (retrying while the server is away); 409 and other 4xx answers are refusals. */
export async function claimMessage(deps: AttemptDeps, message: DispatchMessage, signal?: AbortSignal): Promise<ClaimOutcome> {
  const route = `/api/workers/${encodeURIComponent(deps.workerId)}/claims`;
  const response = await postUntilAnswered(deps.http, route, message, { ...deps.retry, ...(signal ? { signal } : {}) });
  if (response.status === 200) {
    const order = WorkOrderSchema.safeParse(response.body);
    if (order.success) return { order: order.data };
    const issue = order.error.issues[0];
    const attempt = (response.body as { attempt?: unknown } | undefined)?.attempt;
    return {
      unreadable: `the server's work order is not one this worker reads (${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}); upgrade the worker to the server's version`,
      attempt: typeof attempt === 'number' && Number.isSafeInteger(attempt) ? attempt : message.attempt,
    };
  }
  // The worker's token is missing or wrong: not the job's fault, so the message must go back, not be dropped.
  if (response.status === 401 || response.status === 403) return { unauthorized: response.status };
  const reason = (response.body as { reason?: unknown } | undefined)?.reason;
  return { refused: typeof reason === 'string' ? reason : `HTTP ${response.status}` };
}

/** Local paths of one attempt: project folder (cwd), run folder, log, and where downloaded weights go. */
export function attemptPaths(jobsDir: string, order: Pick<WorkOrder, 'job_id' | 'attempt'> & { values: { name: string } }) {
  const jobDir = path.join(jobsDir, safeSegment(order.job_id, 'job id'));
  const project = path.join(jobDir, `a${order.attempt}`);
  return { project, runDir: path.join(project, safeSegment(order.values.name, 'run name')), logFile: `${project}.log`, inputs: `${project}.in` };
}

/** Downloads what the attempt reads (dataset version, weights) and renders the agent + trainer argv. */
export async function prepareAttempt(deps: AttemptDeps, order: WorkOrder, signal?: AbortSignal) {
  const paths = attemptPaths(deps.jobsDir, order);
  checkArgvTemplate(order.trainer, 'work order trainer command');
  await mkdir(paths.inputs, { recursive: true });
  const data = await deps.datasets.fetch(order.dataset, signal);
  let model = order.values.model ?? '';
  if (order.weights) {
    // A resume checkpoint goes where the run keeps its own (trainers resume into the folder above weights/); base weights stay outside the run folder.
    const folder = order.resume ? path.join(paths.runDir, 'weights') : paths.inputs;
    await mkdir(folder, { recursive: true });
    model = path.join(folder, safeSegment(order.weights.file_name, 'weights file name'));
    const download = { route: order.weights.url, file: model, maxBytes: MAX_WEIGHTS_BYTES, what: order.weights.file_name };
    await downloadUntilDone(deps.http, download, { ...deps.retry, ...(signal ? { signal } : {}) });
  }
  const values = {
    data, model, epochs: order.values.epochs, imgsz: order.values.imgsz, batch: order.values.batch, project: paths.project, name: order.values.name,
    job_id: order.job_id, run_dir: paths.runDir, server: deps.serverUrl, config: '',
  };
  const agent = [...deps.agentCommand, 'run', '--server', deps.serverUrl, '--task', order.job_id, '--attempt', String(order.attempt), '--run-dir', paths.runDir,
    '--flush-timeout', String(deps.agentFlushTimeoutS ?? 3600), ...deps.agentFlags, '--'];
  return { paths, argv: [...agent, ...renderArgv(order.trainer, values)] };
}

/** Posts how the trainer process ended; retried until the server answers (a fenced exit is answered too). */
export async function postExit(deps: AttemptDeps, order: Pick<WorkOrder, 'job_id' | 'attempt'>, exit: TrainingExit, signal?: AbortSignal): Promise<void> {
  const route = `/api/workers/${encodeURIComponent(deps.workerId)}/jobs/${encodeURIComponent(order.job_id)}/exit`;
  const body = { attempt: order.attempt, code: exit.code, signal: exit.signal, output_tail: exit.outputTail.slice(-4000) };
  const response = await postUntilAnswered(deps.http, route, body, { ...deps.retry, ...(signal ? { signal } : {}) });
  if (response.status >= 300) deps.log(`yoloops worker: the server refused the exit of ${order.job_id} attempt ${order.attempt} (HTTP ${response.status})`);
}
