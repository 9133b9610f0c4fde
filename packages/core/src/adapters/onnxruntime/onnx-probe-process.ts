/**
 * Child-process side of `createOnnxOutputProbe`: loads one model on onnxruntime's CPU provider with one
 * thread, runs it once on zeros, answers the dims of every output and exits. A process of its own, so a
 * model that crashes onnxruntime or never finishes is killed without touching the server. Imports nothing
 * of ours, so it is a self-contained entry in the build as well as on source.
 */
import * as ort from 'onnxruntime-node';
import type { ProbeProcessReply, ProbeProcessRequest } from './onnx-session-protocol.js';

const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
};

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

function answer(reply: ProbeProcessReply): void {
  process.send!(reply, undefined, {}, () => process.exit(0));
}

/** Zeros of the input's element type (onnxruntime-node takes float16 as raw 16-bit words). */
function zeros(type: string, dims: readonly number[]): ort.Tensor {
  const length = dims.reduce((a, b) => a * b, 1);
  if (type === 'float16') return new ort.Tensor('float16', new Uint16Array(length), dims);
  if (type === 'float64') return new ort.Tensor('float64', new Float64Array(length), dims);
  return new ort.Tensor('float32', new Float32Array(length), dims);
}

async function probe({ model, inputName, inputDims }: ProbeProcessRequest): Promise<ProbeProcessReply> {
  let session: ort.InferenceSession;
  try {
    session = typeof model === 'string'
      ? await ort.InferenceSession.create(model, SESSION_OPTIONS)
      : await ort.InferenceSession.create(model, SESSION_OPTIONS);
  } catch (error) {
    return { type: 'failed', stage: 'load', message: messageOf(error) };
  }
  try {
    const meta = session.inputMetadata.find((m) => m.name === inputName);
    if (meta === undefined || !meta.isTensor) return { type: 'failed', stage: 'run', message: `the model has no tensor input ${inputName}` };
    const result = await session.run({ [inputName]: zeros(meta.type, inputDims) });
    return { type: 'probed', outputs: session.outputNames.filter((n) => result[n] !== undefined).map((name) => ({ name, dims: result[name]!.dims.map(Number) })) };
  } catch (error) {
    return { type: 'failed', stage: 'run', message: messageOf(error) };
  }
}

process.once('message', (request: ProbeProcessRequest) => {
  void probe(request).then(answer);
});
