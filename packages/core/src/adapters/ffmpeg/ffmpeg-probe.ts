import { execa } from 'execa';
import { withBaseName, ffmpegFailed, inputArgs, invalidVideo, lastLines, requireFfmpeg } from './ffmpeg-tools.js';

/** A video as the decoder will deliver it: sizes are after the display rotation ffmpeg applies by default. */
export interface VideoInfo {
  /** Average frame rate (`avg_frame_rate`, else `r_frame_rate`). */
  fps: number;
  width: number;
  height: number;
  /** `nb_frames` from the container, else packets counted, else duration × fps rounded. */
  total_frames: number;
  duration_s: number;
  /** ffprobe's codec name (`h264`, `hevc`, `vp9`…). */
  codec: string;
  /** Display-matrix rotation as ffprobe reports it, in [0, 360); absent when 0. 90 and 270 swap width and height. */
  rotation?: number;
}

/** Caps applied to untrusted videos. */
export interface VideoLimits {
  /** Pixels per frame (default 7680×4320, 8K UHD: ~100 MB per RGB frame). */
  maxPixels: number;
  /** Longest side in pixels (default 8192). */
  maxSide: number;
  /** Frames per video (default 108 000: one hour at 30 fps). */
  maxFrames: number;
}

export const DEFAULT_VIDEO_LIMITS: VideoLimits = { maxPixels: 7680 * 4320, maxSide: 8192, maxFrames: 108_000 };
const MAX_FPS = 1000;
const PROBE_TIMEOUT_MS = 30_000;

interface ProbeStream {
  codec_name?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  nb_frames?: string;
  nb_read_packets?: string;
  duration?: string;
  tags?: { rotate?: string };
  side_data_list?: { rotation?: number }[];
}
interface ProbeOutput {
  streams?: ProbeStream[];
  format?: { duration?: string };
}

const rate = (text: string | undefined): number => {
  const [num, den = '1'] = (text ?? '').split('/');
  const value = Number(num) / Number(den);
  return Number.isFinite(value) && value > 0 ? value : 0;
};
const positive = (text: string | undefined): number | undefined => {
  const value = Number(text);
  return Number.isFinite(value) && value > 0 ? value : undefined;
};

function rotationOf(stream: ProbeStream): number {
  const raw = stream.side_data_list?.find((entry) => typeof entry.rotation === 'number')?.rotation ?? Number(stream.tags?.rotate ?? 0);
  return Number.isFinite(raw) ? (((Math.round(raw) % 360) + 360) % 360) : 0;
}

/** Runs ffprobe on the first real video stream (`V`: cover art excluded) and parses its JSON. */
async function runProbe(ffprobe: string, file: string, extra: string[]): Promise<ProbeStream & { duration_s?: number }> {
  const args = ['-v', 'error', '-hide_banner', ...extra, '-print_format', 'json', '-show_streams', '-show_format', '-select_streams', 'V:0'];
  const result = await execa(ffprobe, [...args, ...inputArgs(file)], {
    reject: false, stdin: 'ignore', timeout: PROBE_TIMEOUT_MS, maxBuffer: 4_000_000, stripFinalNewline: false,
  });
  const stderr = withBaseName(String(result.stderr ?? ''), file).slice(-4000);
  if (result.timedOut) throw invalidVideo(file, `ffprobe did not finish within ${PROBE_TIMEOUT_MS / 1000} s`);
  if (result.exitCode === undefined || result.signal) throw ffmpegFailed(ffprobe, result.code ?? result.signal ?? result.shortMessage ?? 'it could not run', result.cause);
  if (result.exitCode !== 0) throw invalidVideo(file, lastLines(stderr) || `ffprobe exited with code ${result.exitCode}`, { stderr });
  let output: ProbeOutput;
  try {
    output = JSON.parse(String(result.stdout)) as ProbeOutput;
  } catch (error) {
    throw ffmpegFailed(ffprobe, 'its JSON output could not be parsed', error);
  }
  const stream = output.streams?.[0];
  if (!stream) throw invalidVideo(file, 'it has no video stream');
  return { ...stream, duration_s: positive(stream.duration) ?? positive(output.format?.duration) };
}

function checkSize(file: string, width: number, height: number, limits: VideoLimits): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) throw invalidVideo(file, `frame size ${width}×${height} is unknown or empty`);
  if (Math.max(width, height) > limits.maxSide || width * height > limits.maxPixels) {
    throw invalidVideo(file, `frames of ${width}×${height} exceed the limit (${limits.maxSide} px a side, ${limits.maxPixels} pixels)`, { width, height });
  }
}

/**
 * Reads a video's frame rate, display size, frame count, duration and codec with ffprobe; throws a
 * `ValidationError` (reason `invalid_video`) naming the problem for anything that is not a readable
 * video within `limits`, and a `CoreError` (`EXTERNAL_FAILURE`, reason `ffmpeg_missing`) without ffprobe.
 * @example const info = await probeVideo('clip.mp4'); // { fps: 30, width: 1280, height: 720, total_frames: 300, … }
 */
export async function probeVideo(file: string, limits: Partial<VideoLimits> = {}): Promise<VideoInfo> {
  const caps = { ...DEFAULT_VIDEO_LIMITS, ...limits };
  const { ffprobe } = await requireFfmpeg();
  const stream = await runProbe(ffprobe, file, []);
  const rotation = rotationOf(stream);
  const turned = rotation % 180 === 90;
  const [width, height] = turned ? [stream.height ?? 0, stream.width ?? 0] : [stream.width ?? 0, stream.height ?? 0];
  checkSize(file, width, height, caps);
  const fps = rate(stream.avg_frame_rate) || rate(stream.r_frame_rate);
  if (fps === 0 || fps > MAX_FPS) throw invalidVideo(file, `frame rate "${stream.avg_frame_rate ?? '?'}" is unknown or absurd`);
  let frames = positive(stream.nb_frames);
  if (frames === undefined) frames = positive((await runProbe(ffprobe, file, ['-count_packets'])).nb_read_packets);
  if (frames === undefined && stream.duration_s !== undefined) frames = Math.round(stream.duration_s * fps) || undefined;
  if (frames === undefined) throw invalidVideo(file, 'its frame count and duration are both unknown');
  if (frames > caps.maxFrames) throw invalidVideo(file, `${frames} frames exceed the limit of ${caps.maxFrames}`, { total_frames: frames });
  const info: VideoInfo = {
    fps, width, height, total_frames: frames, duration_s: stream.duration_s ?? frames / fps, codec: stream.codec_name ?? 'unknown',
  };
  return rotation === 0 ? info : { ...info, rotation };
}
