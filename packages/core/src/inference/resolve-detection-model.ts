import { isCoreError, UnsupportedError, ValidationError } from '../errors.js';
import type { DetectionModelSpec, OnnxModelInfo } from './inference.types.js';
import { describeDetectionModel, needsOutputProbe, probeInputShape, type DescribeDetectionModelOptions } from './model-spec.js';
import type { OutputShapeProbe } from './output-shape-probe.port.js';

export interface ResolveDetectionModelOptions extends DescribeDetectionModelOptions {
  /** Runs the model once when its output shape is undeclared; without it such a model is refused (`needsOutputProbe`). */
  probe?: OutputShapeProbe | undefined;
  /** The model for the probe: a local path or its bytes. */
  model: string | Uint8Array;
  /** How errors name the model. */
  label: string;
}

export interface ResolvedDetectionModel {
  spec: DetectionModelSpec;
  /** `info` with output dims from the probe run when there was one. */
  info: OnnxModelInfo;
  /** Whether a probe run was needed. */
  probed: boolean;
}

/**
 * `describeDetectionModel`, and when output 0 declares no usable shape, one probe run on zeros of the image
 * input (`probeInputShape`) whose real output dims then go through the same layout rules. Declared, usable
 * shapes never run the model.
 * @example
 * const { spec } = await resolveDetectionModel(readOnnxModelInfo(bytes), { model: path, label: 'best.onnx', probe });
 */
export async function resolveDetectionModel(info: OnnxModelInfo, options: ResolveDetectionModelOptions): Promise<ResolvedDetectionModel> {
  const { probe, model, label, ...describe } = options;
  try {
    return { spec: describeDetectionModel(info, describe), info, probed: false };
  } catch (error) {
    if (probe === undefined || !needsOutputProbe(error)) throw error;
  }
  const { inputName, inputDims } = probeInputShape(info);
  const outputs = await probe.probe({ model, label, inputName, inputDims });
  const dimsByName = new Map(outputs.map((o) => [o.name, o.dims]));
  const head = info.outputs[0]!.name;
  if (!dimsByName.has(head)) throw new ValidationError(`${label}: its probe run gave no tensor for output ${head}`, { reason: 'onnx_probe_failed' });
  const probed: OnnxModelInfo = { ...info, outputs: info.outputs.map((o) => ({ ...o, dims: dimsByName.get(o.name) ?? o.dims })) };
  try {
    return { spec: describeDetectionModel(probed, describe), info: probed, probed: true };
  } catch (error) {
    if (!isCoreError(error)) throw error;
    throw new UnsupportedError(`${label}: ${error.message}, output shapes read from a probe run on a [${inputDims.join(', ')}] input`, {
      ...(error.reason ? { reason: error.reason } : {}), details: error.details, cause: error,
    });
  }
}
