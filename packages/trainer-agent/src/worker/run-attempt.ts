import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  checkArgvTemplate, FINETUNE_CONFIG_NAME, renderArgv, renderLlamaFactoryYaml, WorkOrderSchema, type DispatchMessage, type TrainingExecutor, type TrainingExit, type WorkOrder,
} from '@yoloops/core';
import type { DatasetCache } from './dataset-cache.js';
import { extractZip, safeSegment } from './dataset-cache.js';
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

/** Caps of the ZIPs a fine-tune downloads (a full model's checkpoint holds files over core's 4 GiB default). */
const FINETUNE_ZIP_LIMITS = { maxEntryBytes: MAX_WEIGHTS_BYTES, maxTotalBytes: 4 * MAX_WEIGHTS_BYTES };

/** Downloads the ZIP at `route` and unpacks it into `into` (a fresh folder); the ZIP is removed afterwards. */
async function downloadFolder(deps: AttemptDeps, route: string, into: string, what: string, signal?: AbortSignal): Promise<void> {
  const zip = `${into}.zip`;
  await rm(into, { recursive: true, force: true });
  await mkdir(into, { recursive: true });
  try {
    await downloadUntilDone(deps.http, { route, file: zip, maxBytes: 4 * MAX_WEIGHTS_BYTES, what }, { ...deps.retry, ...(signal ? { signal } : {}) });
    await extractZip(zip, into, FINETUNE_ZIP_LIMITS);
  } finally {
    await rm(zip, { force: true });
  }
}

/**
 * A fine-tune attempt's inputs: the processed dataset folder, the checkpoint-N folder a resume continues from
 * (unpacked into the run folder, where LLaMA-Factory keeps its own), and the trainer YAML with this machine's
 * paths (`{config}`, written into the run folder as on the server).
 */
async function prepareFinetune(deps: AttemptDeps, order: WorkOrder, paths: ReturnType<typeof attemptPaths>, signal?: AbortSignal): Promise<{ data: string; config: string }> {
  if (order.finetune === null) throw new Error(`work order of ${order.job_id} is an llm-finetune without its trainer arguments`);
  const data = path.join(paths.inputs, 'dataset');
  await downloadFolder(deps, order.dataset.url, data, `the dataset of ${order.job_id}`, signal);
  let resumeFrom: string | undefined;
  if (order.weights) {
    resumeFrom = path.join(paths.runDir, safeSegment(order.weights.file_name, 'checkpoint folder name'));
    await downloadFolder(deps, order.weights.url, resumeFrom, `${order.weights.file_name} of ${order.job_id}`, signal);
  }
  await mkdir(paths.runDir, { recursive: true });
  const config = path.join(paths.runDir, FINETUNE_CONFIG_NAME);
  const settings = { ...order.finetune.arguments, dataset_dir: data, output_dir: paths.runDir, ...(resumeFrom === undefined ? {} : { resume_from_checkpoint: resumeFrom }) };
  await writeFile(config, renderLlamaFactoryYaml(settings));
  return { data, config };
}

/** Downloads what the attempt reads (dataset version, weights) and renders the agent + trainer argv. */
export async function prepareAttempt(deps: AttemptDeps, order: WorkOrder, signal?: AbortSignal) {
  const paths = attemptPaths(deps.jobsDir, order);
  checkArgvTemplate(order.trainer, 'work order trainer command');
  await mkdir(paths.inputs, { recursive: true });
  if (order.kind === 'llm-finetune') {
    const { data, config } = await prepareFinetune(deps, order, paths, signal);
    const values = {
      data, model: order.values.model ?? '', epochs: order.values.epochs, imgsz: order.values.imgsz, batch: order.values.batch, project: paths.project,
      name: order.values.name, job_id: order.job_id, run_dir: paths.runDir, server: deps.serverUrl, config,
    };
    // Its checkpoints and, on success, its outputs go to the server: a resume elsewhere and the model's registration need them.
    return { paths, argv: [...agentArgv(deps, order, paths, ['--run-files']), ...renderArgv(order.trainer, values)] };
  }
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
  return { paths, argv: [...agentArgv(deps, order, paths, []), ...renderArgv(order.trainer, values)] };
}

/** `yoloops-agent run …  --` of an attempt, with the worker's agent flags and `extra` ones. */
function agentArgv(deps: AttemptDeps, order: WorkOrder, paths: ReturnType<typeof attemptPaths>, extra: readonly string[]): string[] {
  return [...deps.agentCommand, 'run', '--server', deps.serverUrl, '--task', order.job_id, '--attempt', String(order.attempt), '--run-dir', paths.runDir,
    '--flush-timeout', String(deps.agentFlushTimeoutS ?? 3600), ...deps.agentFlags, ...extra.filter((flag) => !deps.agentFlags.includes(flag)), '--'];
}

/** Posts how the trainer process ended; retried until the server answers (a fenced exit is answered too). */
export async function postExit(deps: AttemptDeps, order: Pick<WorkOrder, 'job_id' | 'attempt'>, exit: TrainingExit, signal?: AbortSignal): Promise<void> {
  const route = `/api/workers/${encodeURIComponent(deps.workerId)}/jobs/${encodeURIComponent(order.job_id)}/exit`;
  const body = { attempt: order.attempt, code: exit.code, signal: exit.signal, output_tail: exit.outputTail.slice(-4000) };
  const response = await postUntilAnswered(deps.http, route, body, { ...deps.retry, ...(signal ? { signal } : {}) });
  if (response.status >= 300) deps.log(`yoloops worker: the server refused the exit of ${order.job_id} attempt ${order.attempt} (HTTP ${response.status})`);
}
