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
  /** Threads the model's runs may use at once (default: the CPUs this process may use, within a container's CPU quota). */
  intraOpNumThreads?: number;
  /**
   * Sessions that run side by side, each on a share of the threads, when runs come in streams (batches,
   * video, concurrent requests); opened on first demand, released when idle. Default 2 from 2 threads,
   * 4 from 8; 0 or 1: one session runs everything.
   */
  parallelRuns?: number;
}

export interface RunOptions {
  /**
   * `latency` (default): the run alone gets every thread when nothing else is running; `throughput`: it
   * is one of a stream (a batch, video frames), so it takes a parallel session when there are some.
   */
  priority?: 'latency' | 'throughput';
}

/** A loaded model, ready to run; `release` frees it (runs after that fail). */
export interface InferenceSessionHandle {
  readonly inputs: readonly EngineTensorInfo[];
  readonly outputs: readonly EngineTensorInfo[];
  /** Runs that can execute at once: what a caller keeps in flight (plus one being prepared) to keep it busy. */
  readonly parallelism?: number;
  /**
   * Runs the model on one float32 input (the first graph input) and returns `outputName`
   * (default: the first output). The input buffer must stay untouched until the promise settles.
   */
  run(input: Float32Array, dims: readonly number[], outputName?: string, options?: RunOptions): Promise<EngineOutput>;
  release(): Promise<void>;
}

/** Port to a runtime that runs ONNX models (onnxruntime-node in production). */
export interface InferenceEngine {
  load(modelPath: string, options?: InferenceLoadOptions): Promise<InferenceSessionHandle>;
}
