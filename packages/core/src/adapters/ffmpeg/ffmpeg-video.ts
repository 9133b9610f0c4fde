import { decodeVideoFrames, type RawFrame } from './ffmpeg-decode.js';
import { createVideoEncoder } from './ffmpeg-encoder.js';
import { probeVideo, type VideoInfo, type VideoLimits } from './ffmpeg-probe.js';

export interface ProcessVideoOptions<T> {
  /** Video file to read. */
  input: string;
  /**
   * Runs the model on one frame; called once per frame, in frame order, with up to `detectAhead` calls
   * in flight (a detector that pipelines — ours prepares the next input while the model runs — stays busy).
   */
  detectFrame: (frame: RawFrame) => Promise<T>;
  /** Draws a result onto its frame, returning `width × height × 3` RGB bytes (skipped when nothing consumes it). */
  annotate: (frame: RawFrame, result: T) => Promise<Buffer> | Buffer;
  /** MP4 to write the annotated frames to (H.264, same size and fps as the input). */
  encodeTo?: string;
  /** Called once, after probing and before the first frame (the stream route's `info` event). */
  onInfo?: (info: VideoInfo) => Promise<void> | void;
  /** Called for every frame, in order, after it was encoded. */
  onFrame?: (frame: RawFrame, result: T, annotated: Buffer) => Promise<void> | void;
  /** Aborting stops decoding and encoding (the partial MP4 is removed); the call rejects with `signal.reason`. */
  signal?: AbortSignal;
  limits?: Partial<VideoLimits>;
  /** Decoded frames held ready ahead of detection (default 2). */
  readAhead?: number;
  /** Detections started before the oldest one is awaited (default 2; 1 = strictly one at a time). */
  detectAhead?: number;
}

export interface ProcessVideoResult<T> {
  info: VideoInfo;
  processed_frames: number;
  /** `detectFrame`'s result for every frame, in order. */
  results: T[];
}

/** Pulls up to `size` items of `source` ahead of the consumer, so the producer works while the consumer does. */
async function* readAhead<T>(source: AsyncIterator<T>, size: number): AsyncGenerator<T, void, undefined> {
  const pending: Promise<IteratorResult<T>>[] = [];
  try {
    for (;;) {
      while (pending.length < size) {
        const next = source.next();
        next.catch(() => {}); // rejections surface below, in order; until then they must not count as unhandled
        pending.push(next);
      }
      const item = await pending.shift();
      if (!item || item.done) return;
      yield item.value;
    }
  } finally {
    await source.return?.();
  }
}

/**
 * Runs a video through detection: decoding reads ahead of `detectFrame`, and annotating, encoding and
 * `onFrame` of frame i run while frame i+1 is detected (at most one frame in each stage). Knows no model:
 * the caller supplies `detectFrame` and `annotate`.
 * @example
 * const { info, results } = await processVideo({
 *   input: 'clip.mp4', encodeTo: 'annotated.mp4',
 *   detectFrame: (frame) => detector.detect(frame), annotate: (frame, result) => draw(frame, result),
 * });
 */
export async function processVideo<T>(options: ProcessVideoOptions<T>): Promise<ProcessVideoResult<T>> {
  const { input, signal, encodeTo, onFrame } = options;
  const info = await probeVideo(input, options.limits);
  await options.onInfo?.(info);
  signal?.throwIfAborted();
  // The encoder starts while the first frames are decoded and detected (it is first needed after that).
  const starting = encodeTo === undefined ? undefined : createVideoEncoder({ width: info.width, height: info.height, fps: info.fps, outputPath: encodeTo });
  starting?.catch(() => {}); // its failure surfaces at the first write
  const emit = async (frame: RawFrame, result: T) => {
    if (!starting && !onFrame) return;
    const annotated = await options.annotate(frame, result);
    await (await starting)?.write(annotated);
    await onFrame?.(frame, result, annotated);
  };
  const results: T[] = [];
  let output: Promise<void> = Promise.resolve();
  try {
    const frames = decodeVideoFrames(input, info, { signal, maxFrames: options.limits?.maxFrames });
    const pending: { frame: RawFrame; result: Promise<T> }[] = [];
    const settle = async () => {
      const { frame, result } = pending.shift()!;
      const value = await result;
      results.push(value);
      await output;
      signal?.throwIfAborted();
      output = emit(frame, value);
      output.catch(() => {}); // awaited on the next turn or below
    };
    const depth = Math.max(1, options.detectAhead ?? 2);
    for await (const frame of readAhead(frames, Math.max(1, options.readAhead ?? 2))) {
      const result = options.detectFrame(frame);
      result.catch(() => {}); // awaited in order by settle
      pending.push({ frame, result });
      if (pending.length >= depth) await settle();
    }
    while (pending.length > 0) await settle();
    await output;
    await (await starting)?.end();
    return { info, processed_frames: results.length, results };
  } catch (error) {
    await output.catch(() => {});
    await starting?.then((e) => e.abort(), () => {});
    throw error;
  }
}
