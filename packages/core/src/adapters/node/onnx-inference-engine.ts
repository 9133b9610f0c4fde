import { access } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { NotFoundError, ValidationError } from '../../errors.js';
import type { EngineTensorInfo, InferenceEngine, InferenceLoadOptions, InferenceSessionHandle } from '../../inference/inference-engine.port.js';

export interface OnnxInferenceEngineOptions extends InferenceLoadOptions {
  /** Graph optimisations onnxruntime applies when loading (default `all`). */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * Let idle intra-op threads spin for the next parallel section (onnxruntime's default). Default false:
   * spinning shaves little off a run but burns the cores that decode the next image meanwhile.
   */
  allowSpinning?: boolean;
}

function tensorInfo(meta: ort.InferenceSession.ValueMetadata): EngineTensorInfo {
  if (!meta.isTensor) return { name: meta.name, type: 'non-tensor', dims: [] };
  return { name: meta.name, type: meta.type, dims: meta.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : typeof d === 'string' ? d : null)) };
}

async function createSession(modelPath: string, options: OnnxInferenceEngineOptions): Promise<ort.InferenceSession> {
  await access(modelPath).catch((error: unknown) => {
    throw new NotFoundError(`model weights not found: ${modelPath}`, { reason: 'weights_missing', cause: error });
  });
  try {
    return await ort.InferenceSession.create(modelPath, {
      graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
      intraOpNumThreads: options.intraOpNumThreads ?? availableParallelism(),
      interOpNumThreads: 1,
      executionMode: 'sequential',
      extra: { session: { intra_op: { allow_spinning: options.allowSpinning ? '1' : '0' } } },
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ValidationError(`onnxruntime cannot load ${modelPath}: ${message}`, { reason: 'invalid_onnx', cause: error });
  }
}

/**
 * `InferenceEngine` on onnxruntime-node (CPU): sessions with all graph optimisations, one intra-op
 * thread per core, no spinning between runs; an input tensor is made once per buffer and shape, then
 * reused run after run.
 * @example
 * const session = await createOnnxInferenceEngine().load('yolov8n.onnx');
 * const { data, dims } = await session.run(tensor, [1, 3, 640, 640]);
 */
export function createOnnxInferenceEngine(defaults: OnnxInferenceEngineOptions = {}): InferenceEngine {
  return {
    async load(modelPath, options = {}): Promise<InferenceSessionHandle> {
      const session = await createSession(modelPath, { ...defaults, ...options });
      const inputs = session.inputMetadata.map(tensorInfo);
      const outputs = session.outputMetadata.map(tensorInfo);
      const inputName = session.inputNames[0]!;
      const tensors = new WeakMap<Float32Array, { key: string; tensor: ort.Tensor }>();
      const tensorFor = (data: Float32Array, dims: readonly number[]): ort.Tensor => {
        const key = dims.join(',');
        const cached = tensors.get(data);
        if (cached?.key === key) return cached.tensor;
        const tensor = new ort.Tensor('float32', data, dims);
        tensors.set(data, { key, tensor });
        return tensor;
      };
      return {
        inputs, outputs,
        async run(input, dims, outputName = session.outputNames[0]!) {
          const result = await session.run({ [inputName]: tensorFor(input, dims) }, [outputName]);
          const out = result[outputName]!;
          if (!(out.data instanceof Float32Array)) throw new ValidationError(`output ${outputName} is ${out.type}, float32 expected`, { reason: 'unsupported_output_type' });
          return { data: out.data, dims: out.dims.map(Number) };
        },
        release: () => session.release(),
      };
    },
  };
}
