import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CoreError, ValidationError } from '../../errors.js';
import type { OutputProbeRequest, OutputShapeProbe, ProbedOutput } from '../../inference/output-shape-probe.port.js';
import type { ProbeProcessReply, ProbeProcessRequest } from './onnx-session-protocol.js';

export interface OnnxOutputProbeOptions {
  /** Longest a probe may take, process start and model load included (default 60 s); then its process is killed. */
  timeoutMs?: number;
  /** Probes running at once; more wait their turn (default 1: each takes a core and a model's memory). */
  maxConcurrent?: number;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const STDERR_KEEP = 2000;

/** Starts the probe process: the built `.js` next to this module, or on source the `.ts` under tsx's loader. */
function spawnProbeProcess(): ChildProcess {
  const onSource = import.meta.url.endsWith('.ts');
  const entry = fileURLToPath(new URL(onSource ? './onnx-probe-process.ts' : './onnx-probe-process.js', import.meta.url));
  const execArgv = onSource ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] : [];
  return fork(entry, [], { execArgv, serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
}

const firstLines = (text: string, max = 1000) => (text.trim().length > max ? `${text.trim().slice(0, max)}…` : text.trim());

/** One probe in a process of its own, bounded by `timeoutMs`. */
function probeOnce(request: OutputProbeRequest, timeoutMs: number): Promise<ProbedOutput[]> {
  const shape = `[${request.inputDims.join(', ')}]`;
  const failed = (message: string, reason = 'onnx_probe_failed') =>
    new ValidationError(`${request.label}: ${message}`, { reason, details: { file: request.label, input_dims: [...request.inputDims] } });
  return new Promise((resolve, reject) => {
    const child = spawnProbeProcess();
    let stderr = '';
    let settled = false;
    const settle = (result: ProbedOutput[] | Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const timer = setTimeout(() => settle(failed(`its probe run (one run on a ${shape} input to read the output shapes it does not declare) did not finish within ${timeoutMs / 1000} s and was stopped`, 'onnx_probe_timeout')), timeoutMs);
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-STDERR_KEEP)));
    child.on('message', (reply: ProbeProcessReply) => {
      if (reply.type === 'probed') settle(reply.outputs);
      else settle(failed(`onnxruntime cannot ${reply.stage === 'load' ? 'load it' : `run it on a ${shape} dummy input`} (the probe run that reads the output shapes it does not declare): ${firstLines(reply.message)}`));
    });
    child.on('error', (error) => settle(new CoreError('EXTERNAL_FAILURE', `cannot start the onnxruntime probe process: ${error.message}`, { reason: 'probe_unavailable', cause: error })));
    // 'close', not 'exit': an answer sent just before exiting may still be in the IPC pipe at 'exit'
    child.on('close', (code, signal) => settle(failed(`onnxruntime ended during the probe run on a ${shape} input (${signal ?? `exit code ${code}`})${stderr.trim() ? `: ${firstLines(stderr)}` : ''}`)));
    const message: ProbeProcessRequest = { model: request.model, inputName: request.inputName, inputDims: [...request.inputDims] };
    child.send(message, (error) => error && settle(failed(`the probe process took no request (${error.message})`)));
  });
}

/**
 * `OutputShapeProbe` on onnxruntime-node: each probe loads the model in a short-lived child process (CPU
 * provider, one thread), runs it once on zeros and reads every output's dims. The server's event loop never
 * waits on the run, a model that crashes onnxruntime takes only that process down, and one that runs past
 * `timeoutMs` is killed (SIGKILL). Failures are `ValidationError`s (`onnx_probe_failed`, `onnx_probe_timeout`)
 * naming the file and onnxruntime's message.
 * @example
 * const models = createModelService({ models, blobs, clock, probe: createOnnxOutputProbe() });
 */
export function createOnnxOutputProbe(options: OnnxOutputProbeOptions = {}): OutputShapeProbe {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxConcurrent = Math.max(1, options.maxConcurrent ?? 1);
  const waiting: (() => void)[] = [];
  let running = 0;
  return {
    async probe(request) {
      if (running < maxConcurrent) running++;
      else await new Promise<void>((resolve) => waiting.push(resolve)); // a finishing probe hands its slot over
      try {
        return await probeOnce(request, timeoutMs);
      } finally {
        const next = waiting.shift();
        if (next) next();
        else running--;
      }
    },
  };
}

let shared: OutputShapeProbe | undefined;

/** The process-wide probe (default options), shared by model upload and detector loads so probes queue together. */
export function sharedOnnxOutputProbe(): OutputShapeProbe {
  return (shared ??= createOnnxOutputProbe());
}
