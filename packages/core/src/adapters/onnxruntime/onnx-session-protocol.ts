/** Messages between `createOnnxInferenceEngine` and its session worker (types only: nothing to bundle). */

export interface WorkerTensorInfo {
  name: string;
  type: string;
  dims: (number | string | null)[];
}

export interface SessionWorkerData {
  modelPath: string;
  /** onnxruntime `SessionOptions`, structured-cloneable. */
  sessionOptions: Record<string, unknown>;
}

export type SessionRequest =
  | { type: 'run'; id: number; input: Float32Array; dims: number[]; outputName: string }
  | { type: 'release' };

export type SessionReply =
  | { type: 'loaded'; inputNames: string[]; outputNames: string[]; inputs: WorkerTensorInfo[]; outputs: WorkerTensorInfo[] }
  /** `provider_unavailable`: the model loads on the CPU provider, the execution providers asked for do not. */
  | { type: 'load-error'; message: string; reason?: 'provider_unavailable' }
  | { type: 'result'; id: number; data: Float32Array; dims: number[] }
  | { type: 'error'; id: number; message: string; reason?: string }
  | { type: 'released' };

/** What `createOnnxOutputProbe` sends its probe process (once). */
export interface ProbeProcessRequest {
  model: string | Uint8Array;
  inputName: string;
  inputDims: number[];
}

/** The probe process's one answer: every output's dims, or why onnxruntime could not load or run the model. */
export type ProbeProcessReply =
  | { type: 'probed'; outputs: { name: string; dims: number[] }[] }
  | { type: 'failed'; stage: 'load' | 'run'; message: string };
