import { access } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CoreError, InvalidStateError, NotFoundError, ValidationError } from '../../errors.js';
import type { EngineOutput, InferenceEngine, InferenceLoadOptions, InferenceSessionHandle } from '../../inference/inference-engine.port.js';
import { planSessions, scheduleSessions } from '../../inference/session-scheduler.js';
import { cpuBudget } from '../node/cpu-budget.js';
import type { SessionReply, SessionRequest, SessionWorkerData } from './onnx-session-protocol.js';

export interface OnnxInferenceEngineOptions extends InferenceLoadOptions {
  /** Graph optimisations onnxruntime applies when loading (default `all`). */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * Let idle intra-op threads spin for the next parallel section (onnxruntime's default). Default false:
   * spinning shaves little off a run but burns the cores that decode the next image meanwhile.
   */
  allowSpinning?: boolean;
  /**
   * onnxruntime execution providers in order of preference, e.g. `['cuda']` (default `['cpu']`); the CPU
   * provider is always added last for the operators the others lack. GPU providers need a matching
   * onnxruntime-node install (`ONNXRUNTIME_NODE_INSTALL=cuda12 npm ci` for CUDA 12 on Linux x64). With a
   * GPU provider a model gets no parallel sessions unless `parallelRuns` asks for them.
   */
  executionProviders?: readonly string[];
}

/** The providers a session is created with: the ones asked for, then the CPU provider. */
function providerList(options: OnnxInferenceEngineOptions): string[] | undefined {
  const asked = (options.executionProviders ?? []).map((p) => p.trim().toLowerCase()).filter((p) => p !== '');
  return asked.length === 0 || asked.every((p) => p === 'cpu') ? undefined : [...new Set([...asked, 'cpu'])];
}

/** The onnxruntime session options every session of this engine gets (exported for the bench's baseline). */
export function onnxSessionOptions(options: OnnxInferenceEngineOptions = {}): Record<string, unknown> {
  const providers = providerList(options);
  return {
    graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
    intraOpNumThreads: options.intraOpNumThreads ?? cpuBudget(),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    extra: { session: { intra_op: { allow_spinning: options.allowSpinning ? '1' : '0' } } },
    ...(providers ? { executionProviders: providers } : {}),
  };
}

/**
 * Starts the worker entry next to this module: the built `.js`, or on source (tests, tsx) the `.ts`
 * through tsx's API (a dev dependency of the workspace), since a worker does not inherit loader hooks.
 */
function spawnSessionWorker(workerData: SessionWorkerData): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./onnx-session-worker.js', import.meta.url), { workerData });
  const entry = new URL('./onnx-session-worker.ts', import.meta.url).href;
  // `tsx/esm/api`'s `import` condition (a require resolves its CommonJS twin)
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const code = `import(${JSON.stringify(tsx)}).then((api) => api.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(import.meta.url)}))`;
  return new Worker(code, { eval: true, workerData });
}

/** The model is fine, the execution provider is not: a set-up problem of this server, not the caller's. */
function providerUnavailable(options: OnnxInferenceEngineOptions, message: string): CoreError {
  const providers = providerList(options) ?? ['cpu'];
  const cuda = providers.includes('cuda') || providers.includes('tensorrt')
    ? ' The CUDA and TensorRT providers need onnxruntime-node installed with ONNXRUNTIME_NODE_INSTALL=cuda12 (Linux x64, CUDA 12) and an NVIDIA driver.'
    : '';
  return new CoreError('EXTERNAL_FAILURE', `onnxruntime cannot use execution provider ${providers.filter((p) => p !== 'cpu').join(', ')}: ${message.split('\n')[0]}.${cuda} Without a GPU, leave the providers unset (CPU).`, {
    reason: 'provider_unavailable', details: { providers },
  });
}

interface Pending {
  resolve: (output: EngineOutput) => void;
  reject: (error: Error) => void;
}

async function startWorker(modelPath: string, options: OnnxInferenceEngineOptions): Promise<{ worker: Worker; loaded: Extract<SessionReply, { type: 'loaded' }> }> {
  const worker = spawnSessionWorker({ modelPath, sessionOptions: onnxSessionOptions(options) });
  let onMessage!: (reply: SessionReply) => void;
  let onError!: (error: Error) => void;
  let onExit!: (code: number) => void;
  try {
    return await new Promise((resolve, reject) => {
      const cannot = (message: string, cause?: unknown) =>
        reject(new ValidationError(`onnxruntime cannot load ${modelPath}: ${message}`, { reason: 'invalid_onnx', cause }));
      onMessage = (reply) => {
        if (reply.type === 'loaded') resolve({ worker, loaded: reply });
        else if (reply.type === 'load-error' && reply.reason === 'provider_unavailable') reject(providerUnavailable(options, reply.message));
        else cannot(reply.type === 'load-error' ? reply.message : `unexpected ${reply.type}`);
      };
      onError = (error) => cannot(error.message, error);
      onExit = (code) => cannot(`the session worker exited (${code})`);
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    });
  } catch (error) {
    await worker.terminate();
    throw error;
  } finally {
    // not removeAllListeners: Worker keeps listeners of its own
    worker.off('message', onMessage).off('error', onError).off('exit', onExit);
  }
}

/**
 * `InferenceEngine` on onnxruntime-node (CPU by default, GPU providers on request), each session in its
 * own worker thread so a run (tens of milliseconds of native work) never blocks the event loop, and the
 * caller can prepare the next input meanwhile. Sessions get all graph optimisations and no spinning
 * between runs. A loaded model is a main session with one intra-op thread per core (`cpuBudget`: a
 * container's CPU quota counts) plus, while runs come in streams, parallel sessions sharing the cores
 * (`scheduleSessions`): on 2 cores two 1-thread runs side by side finish 1.3× more images per second
 * than one 2-thread run after another. An input in a
 * `SharedArrayBuffer` reaches the worker without a copy (and its onnxruntime tensor is made once and
 * reused); any other input is copied when posted. Outputs come back transferred. A worker holds the
 * process open only while runs are in flight; `release` ends them.
 * @example
 * const session = await createOnnxInferenceEngine().load('yolov8n.onnx');
 * const { data, dims } = await session.run(tensor, [1, 3, 640, 640]);
 */
export function createOnnxInferenceEngine(defaults: OnnxInferenceEngineOptions = {}): InferenceEngine {
  return {
    async load(modelPath, options = {}): Promise<InferenceSessionHandle> {
      await access(modelPath).catch((error: unknown) => {
        throw new NotFoundError(`model weights not found: ${modelPath}`, { reason: 'weights_missing', cause: error });
      });
      const merged = { ...defaults, ...options };
      // a GPU runs one model's runs one after another anyway: more sessions would only take its memory
      const parallelRuns = merged.parallelRuns ?? (providerList(merged) ? 0 : undefined);
      const plan = planSessions(merged.intraOpNumThreads ?? cpuBudget(), parallelRuns);
      return scheduleSessions((threads) => openWorkerSession(modelPath, { ...merged, intraOpNumThreads: threads }), plan);
    },
  };
}

/** One onnxruntime session in a worker thread of its own, running one request at a time. */
async function openWorkerSession(modelPath: string, options: OnnxInferenceEngineOptions): Promise<InferenceSessionHandle> {
  const { worker, loaded } = await startWorker(modelPath, options);
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let failure: Error | undefined;
  let released: Promise<void> | undefined;
  worker.unref();

  const failAll = (error: Error) => {
    failure ??= error;
    for (const p of pending.values()) p.reject(error);
    pending.clear();
    worker.unref();
  };
  worker.on('message', (reply: SessionReply) => {
    if (reply.type !== 'result' && reply.type !== 'error') return;
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    if (pending.size === 0) worker.unref();
    if (reply.type === 'result') p.resolve({ data: reply.data, dims: reply.dims });
    else p.reject(reply.reason ? new ValidationError(reply.message, { reason: reply.reason }) : new Error(reply.message));
  });
  // a dead worker is a dead session (reason `session_released`): the scheduler replaces it
  worker.on('error', (error) => failAll(new InvalidStateError(`the onnxruntime session worker failed: ${error.message}`, { reason: 'session_released', cause: error })));
  worker.on('exit', (code) => failAll(new InvalidStateError(`the onnxruntime session worker exited (${code})`, { reason: 'session_released' })));

  return {
    inputs: loaded.inputs,
    outputs: loaded.outputs,
    run(input, dims, outputName = loaded.outputNames[0]!) {
      if (released) return Promise.reject(new InvalidStateError('the session is released', { reason: 'session_released' }));
      if (failure) return Promise.reject(failure);
      const id = nextId++;
      return new Promise<EngineOutput>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        if (pending.size === 1) worker.ref();
        const request: SessionRequest = { type: 'run', id, input, dims: [...dims], outputName };
        worker.postMessage(request);
      });
    },
    release() {
      released ??= (async () => {
        if (!failure) {
          const done = new Promise<void>((resolve) => {
            worker.on('message', (reply: SessionReply) => reply.type === 'released' && resolve());
            worker.once('exit', () => resolve());
          });
          worker.ref();
          worker.postMessage({ type: 'release' } satisfies SessionRequest);
          await done;
        }
        await worker.terminate();
      })();
      return released;
    },
  };
}
