/** What a probe run needs: the model, and the image input to feed it zeros of. */
export interface OutputProbeRequest {
  /** The model: a local file path (external data is read beside it) or the file's bytes. */
  model: string | Uint8Array;
  /** How errors name the model (its file name). */
  label: string;
  inputName: string;
  /** Fixed dims of the zeros fed to `inputName` (see `probeInputShape`). */
  inputDims: readonly number[];
}

/** One output's dims as a run produced them. */
export interface ProbedOutput {
  name: string;
  dims: number[];
}

/**
 * Port to a runtime that runs a model once on zeros to learn the dims its outputs really have, for graphs
 * that declare none (graph surgery, simplifiers, some exporters). A model that cannot run is a
 * `ValidationError` naming `label` and the runtime's message; a run that takes too long is stopped.
 */
export interface OutputShapeProbe {
  probe(request: OutputProbeRequest): Promise<ProbedOutput[]>;
}
