import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { ValidationError } from '../../errors.js';
import { assertH264, collectTail, ffmpegFailed, lastLines, lowerPriority, requireFfmpeg } from './ffmpeg-tools.js';

export interface VideoEncoderOptions {
  /** Size of the RGB frames that will be written. */
  width: number;
  height: number;
  fps: number;
  /** MP4 file to create (overwritten if it exists). */
  outputPath: string;
}

/** Writes packed RGB frames into an H.264 MP4. */
export interface VideoEncoder {
  /** Queues one `width × height × 3` frame (not to be reused afterwards); resolves once ffmpeg's stdin can take more (backpressure). */
  write(frame: Buffer): Promise<void>;
  /** Closes the input and waits for a complete, playable file. */
  end(): Promise<void>;
  /** Kills ffmpeg and removes the partial file. */
  abort(): Promise<void>;
}

/**
 * Odd sizes are padded by one black pixel on the right/bottom: yuv420p (what browsers decode) needs
 * even dimensions, and padding keeps every drawn pixel where it was.
 */
const encodeArgs = ({ width, height, fps, outputPath }: VideoEncoderOptions) => [
  '-nostdin', '-hide_banner', '-v', 'error', '-y',
  '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-r', String(fps), '-i', 'pipe:0',
  ...(width % 2 || height % 2 ? ['-vf', 'pad=ceil(iw/2)*2:ceil(ih/2)*2'] : []),
  '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-preset', 'veryfast', '-movflags', '+faststart', '-f', 'mp4', `file:${path.resolve(outputPath)}`,
];

/**
 * Starts ffmpeg encoding RGB frames from its stdin into an H.264 (yuv420p, faststart) MP4 that
 * browsers play; frames are piped, never written to disk one by one.
 * @example const encoder = await createVideoEncoder({ width: 640, height: 480, fps: 30, outputPath: 'out.mp4' });
 * for (const frame of frames) await encoder.write(frame);
 * await encoder.end();
 */
export async function createVideoEncoder(options: VideoEncoderOptions): Promise<VideoEncoder> {
  const { width, height, fps, outputPath } = options;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0 || !(fps > 0 && fps <= 1000)) {
    throw new ValidationError(`cannot encode ${width}×${height} frames at ${fps} fps`, { reason: 'invalid_video_encoding' });
  }
  const tools = await requireFfmpeg();
  assertH264(tools);
  const { ffmpeg } = tools;
  const child = execa(ffmpeg, encodeArgs(options), { stdin: 'pipe', stdout: 'ignore', buffer: false, reject: false });
  lowerPriority(child.pid);
  const stderr = collectTail(child.stderr, outputPath);
  const stdin = child.stdin;
  stdin.on('error', () => {}); // EPIPE when ffmpeg died: reported from its exit below, with its stderr.
  const done = child.then((result) => (result.failed ? ffmpegFailed(ffmpeg, `could not encode "${path.basename(outputPath)}": ${lastLines(stderr()) || result.shortMessage}`, result.cause) : undefined));
  const size = width * height * 3;

  return {
    async write(frame) {
      if (frame.length !== size) throw new ValidationError(`frame of ${frame.length} bytes given to a ${width}×${height} RGB encoder (${size} bytes)`, { reason: 'invalid_frame' });
      if (child.exitCode !== null || stdin.writableEnded) throw (await done) ?? ffmpegFailed(ffmpeg, 'the encoder is already closed');
      if (stdin.write(frame)) return;
      const exited = done.then((error) => error ?? ffmpegFailed(ffmpeg, 'exited before reading every frame'));
      const failed = await Promise.race([once(stdin, 'drain').then(() => undefined, () => exited), exited]);
      if (failed) throw failed;
    },
    async end() {
      stdin.end();
      const error = await done;
      if (error) throw error;
    },
    async abort() {
      child.kill('SIGKILL');
      await done;
      await rm(outputPath, { force: true });
    },
  };
}
