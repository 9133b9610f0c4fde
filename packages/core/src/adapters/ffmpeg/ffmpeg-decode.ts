import { execa, type Result } from 'execa';
import type { RawImage } from '../../inference/inference.types.js';
import { DEFAULT_VIDEO_LIMITS, type VideoInfo } from './ffmpeg-probe.js';
import { collectTail, ffmpegFailed, inputArgs, invalidVideo, lastLines, lowerPriority, requireFfmpeg } from './ffmpeg-tools.js';

/** One decoded frame: packed RGB, row-major, `width × height × 3` bytes (a `RawImage`, so detectors take it as is). */
export interface RawFrame extends RawImage {
  data: Buffer;
  channels: 3;
  /** 0-based position in the video. */
  index: number;
}

export interface DecodeOptions {
  /** Aborting kills ffmpeg; the iteration then rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** More frames than this is an `invalid_video` error (default `DEFAULT_VIDEO_LIMITS.maxFrames`). */
  maxFrames?: number;
}

/**
 * ffmpeg arguments: first real video stream, rotated as ffmpeg does by default, scaled to the probed
 * size (so a mid-stream resolution change cannot break framing), one output frame per decoded frame.
 */
const decodeArgs = (file: string, info: VideoInfo, frameSyncOption: string) => [
  '-nostdin', '-hide_banner', '-v', 'error', ...inputArgs(file),
  '-map', '0:V:0', '-an', '-sn', '-dn', '-vf', `scale=${info.width}:${info.height}`, frameSyncOption, 'passthrough',
  '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1',
];

function failure(file: string, program: string, result: Result, stderr: string): Error {
  if (result.exitCode === undefined) return ffmpegFailed(program, result.signal ? `killed by ${result.signal}` : (result.code ?? result.shortMessage ?? 'it could not run'), result.cause);
  return invalidVideo(file, lastLines(stderr) || `ffmpeg exited with code ${result.exitCode}`, { stderr });
}

/**
 * Decodes a probed video into RGB frames streamed from ffmpeg's stdout (nothing is written to disk;
 * ffmpeg is paused by pipe backpressure while the consumer works). Breaking out of the loop, an error
 * or `signal` kills ffmpeg, and the process is always reaped before the iteration settles.
 * @example for await (const frame of decodeVideoFrames('clip.mp4', await probeVideo('clip.mp4'))) use(frame.data);
 */
export async function* decodeVideoFrames(file: string, info: VideoInfo, options: DecodeOptions = {}): AsyncGenerator<RawFrame, void, undefined> {
  const { signal, maxFrames = DEFAULT_VIDEO_LIMITS.maxFrames } = options;
  const { ffmpeg, frameSyncOption } = await requireFfmpeg();
  signal?.throwIfAborted();
  const { width, height } = info;
  const size = width * height * 3;
  const child = execa(ffmpeg, decodeArgs(file, info, frameSyncOption), { stdin: 'ignore', buffer: false, reject: false, cancelSignal: signal, forceKillAfterDelay: 1000 });
  lowerPriority(child.pid);
  const stderr = collectTail(child.stderr, file);
  let frame = Buffer.allocUnsafe(size);
  let filled = 0;
  let index = 0;
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      for (let offset = 0; offset < chunk.length; ) {
        const copied = chunk.copy(frame, filled, offset);
        offset += copied;
        filled += copied;
        if (filled < size) continue;
        if (index >= maxFrames) throw invalidVideo(file, `it has more than ${maxFrames} frames`);
        signal?.throwIfAborted(); // frames already piped before the kill are dropped
        yield { data: frame, width, height, channels: 3, index: index++ };
        frame = Buffer.allocUnsafe(size);
        filled = 0;
      }
    }
    const result = await child;
    signal?.throwIfAborted();
    if (result.failed) throw failure(file, ffmpeg, result, stderr());
    if (index === 0) throw invalidVideo(file, lastLines(stderr()) || 'no frame could be decoded');
  } catch (error) {
    signal?.throwIfAborted();
    throw error;
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    child.stdout?.resume();
    await child;
  }
}
