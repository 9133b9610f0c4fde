/**
 * Worker-thread side of `createOnnxInferenceEngine`: holds one onnxruntime session and runs it off the
 * main thread (onnxruntime-node's `session.run` blocks its calling thread for the whole run). Imports
 * nothing of ours, so it is a self-contained entry in the build as well as on source.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import type { SessionReply, SessionRequest, SessionWorkerData, WorkerTensorInfo } from './onnx-session-protocol.js';

const port = parentPort!;
const { modelPath, sessionOptions } = workerData as SessionWorkerData;

function tensorInfo(meta: ort.InferenceSession.ValueMetadata): WorkerTensorInfo {
  if (!meta.isTensor) return { name: meta.name, type: 'non-tensor', dims: [] };
  return { name: meta.name, type: meta.type, dims: meta.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : typeof d === 'string' ? d : null)) };
}

const post = (reply: SessionReply, transfer: ArrayBuffer[] = []) => port.postMessage(reply, transfer);
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Whether the model loads on the CPU provider alone (so a failure with other providers is theirs). */
async function loadsOnCpu(): Promise<boolean> {
  try {
    await (await ort.InferenceSession.create(modelPath, { ...sessionOptions, executionProviders: ['cpu'] } as ort.InferenceSession.SessionOptions)).release();
    return true;
  } catch {
    return false;
  }
}

let session: ort.InferenceSession;
try {
  session = await ort.InferenceSession.create(modelPath, sessionOptions as ort.InferenceSession.SessionOptions);
} catch (error) {
  const providers = (sessionOptions.executionProviders as string[] | undefined) ?? ['cpu'];
  const theirs = providers.some((p) => p !== 'cpu') && (await loadsOnCpu());
  post({ type: 'load-error', message: messageOf(error), ...(theirs ? { reason: 'provider_unavailable' as const } : {}) });
  throw error; // ends the worker; the engine has the message already
}
post({
  type: 'loaded',
  inputNames: [...session.inputNames], outputNames: [...session.outputNames],
  inputs: session.inputMetadata.map(tensorInfo), outputs: session.outputMetadata.map(tensorInfo),
});

// onnxruntime-node takes no SharedArrayBuffer-backed tensor: a shared input is copied here, off the
// caller's thread, into a buffer of the worker's own; its tensor is made once per shape and reused.
const staged = new Map<string, { data: Float32Array; tensor: ort.Tensor }>();
const tensorFor = (input: Float32Array, dims: readonly number[]): ort.Tensor => {
  if (!(input.buffer instanceof SharedArrayBuffer)) return new ort.Tensor('float32', input, dims);
  const key = dims.join(',');
  let slot = staged.get(key);
  if (slot?.data.length !== input.length) {
    const data = new Float32Array(input.length);
    slot = { data, tensor: new ort.Tensor('float32', data, dims) };
    staged.set(key, slot);
  }
  slot.data.set(input);
  return slot.tensor;
};

async function handle(request: SessionRequest): Promise<void> {
  if (request.type === 'release') {
    await session.release().catch(() => undefined);
    post({ type: 'released' });
    port.close();
    return;
  }
  const { id, input, dims, outputName } = request;
  try {
    const result = await session.run({ [session.inputNames[0]!]: tensorFor(input, dims) }, [outputName]);
    const out = result[outputName]!;
    if (!(out.data instanceof Float32Array)) {
      post({ type: 'error', id, message: `output ${outputName} is ${out.type}, float32 expected`, reason: 'unsupported_output_type' });
      return;
    }
    const dimsOut = out.dims.map(Number);
    const whole = out.data.byteOffset === 0 && out.data.byteLength === out.data.buffer.byteLength;
    try {
      // hand the output's buffer over as it is when it can be detached ...
      if (!whole) throw new Error('a view');
      post({ type: 'result', id, data: out.data, dims: dimsOut }, [out.data.buffer as ArrayBuffer]);
    } catch {
      // ... else (memory onnxruntime keeps) a copy of our own
      const data = new Float32Array(out.data);
      post({ type: 'result', id, data, dims: dimsOut }, [data.buffer]);
    }
  } catch (error) {
    post({ type: 'error', id, message: messageOf(error) });
  }
}

// One request at a time, in order: a run may not overlap the next one's staging copy, nor `release`.
let queue = Promise.resolve();
port.on('message', (request: SessionRequest) => {
  queue = queue.then(() => handle(request));
});
