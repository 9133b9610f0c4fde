/** A graph input or output as the runtime reports it; a symbolic or unknown dim is a string or null. */
export interface EngineTensorInfo {
  name: string;
  /** Element type, e.g. `float32`. */
  type: string;
  dims: readonly (number | string | null)[];
}

/** One output tensor of a run. */
export interface EngineOutput {
  data: Float32Array;
  dims: number[];
}

export interface InferenceLoadOptions {
  /** Threads one run may use (default: the machine's available parallelism). */
  intraOpNumThreads?: number;
}

/** A loaded model, ready to run; `release` frees it (runs after that fail). */
export interface InferenceSessionHandle {
  readonly inputs: readonly EngineTensorInfo[];
  readonly outputs: readonly EngineTensorInfo[];
  /**
   * Runs the model on one float32 input (the first graph input) and returns `outputName`
   * (default: the first output). The input buffer must stay untouched until the promise settles.
   */
  run(input: Float32Array, dims: readonly number[], outputName?: string): Promise<EngineOutput>;
  release(): Promise<void>;
}

/** Port to a runtime that runs ONNX models (onnxruntime-node in production). */
export interface InferenceEngine {
  load(modelPath: string, options?: InferenceLoadOptions): Promise<InferenceSessionHandle>;
}
