import { setPriority } from 'node:os';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { CoreError, ValidationError } from '../../errors.js';

/** Absolute paths of the two programs the video adapters run. */
export interface FfmpegPrograms {
  ffmpeg: string;
  ffprobe: string;
}

type Program = keyof FfmpegPrograms;
const ENV_OVERRIDE: Record<Program, string> = { ffmpeg: 'YOLOOPS_FFMPEG', ffprobe: 'YOLOOPS_FFPROBE' };

/**
 * Demuxers a video may be read with. Anything else (HLS/concat playlists that open further URLs or
 * local files, still images, audio) is refused by ffmpeg itself before it reads past the header.
 */
export const VIDEO_DEMUXERS = 'mov,matroska,avi,flv,mpegts,mpeg,asf,ogg,gif,ivf,h264,hevc,m4v';

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

async function locate(program: Program, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const override = env[ENV_OVERRIDE[program]];
  if (override) return (await isExecutableFile(override)) ? path.resolve(override) : undefined;
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir && (await isExecutableFile(path.join(dir, program)))) return path.join(dir, program);
  }
  return undefined;
}

function missing(program: Program, env: NodeJS.ProcessEnv): CoreError {
  const variable = ENV_OVERRIDE[program];
  const override = env[variable];
  const message = override
    ? `${program} is not installed where ${variable} points: fix ${variable}, or unset it and apt-get install ffmpeg`
    : `${program} is not installed: apt-get install ffmpeg (or set ${variable})`;
  return new CoreError('EXTERNAL_FAILURE', message, { reason: 'ffmpeg_missing', details: { program, ...(override ? { [variable]: override } : {}) } });
}

/**
 * Finds ffmpeg and ffprobe: `YOLOOPS_FFMPEG` / `YOLOOPS_FFPROBE` when set, else `PATH`; undefined when either is missing.
 * @example const tools = await findFfmpeg(); if (!tools) console.warn('video inference disabled');
 */
export async function findFfmpeg(env: NodeJS.ProcessEnv = process.env): Promise<FfmpegPrograms | undefined> {
  const [ffmpeg, ffprobe] = await Promise.all([locate('ffmpeg', env), locate('ffprobe', env)]);
  return ffmpeg && ffprobe ? { ffmpeg, ffprobe } : undefined;
}

/** Like `findFfmpeg`, but throws a `CoreError` (`EXTERNAL_FAILURE`, reason `ffmpeg_missing`) naming the missing program. */
export async function requireFfmpeg(env: NodeJS.ProcessEnv = process.env): Promise<FfmpegPrograms> {
  const ffmpeg = await locate('ffmpeg', env);
  if (!ffmpeg) throw missing('ffmpeg', env);
  const ffprobe = await locate('ffprobe', env);
  if (!ffprobe) throw missing('ffprobe', env);
  return { ffmpeg, ffprobe };
}

/** Input options that keep ffmpeg on one local file read by a known video demuxer (a path can never be read as a URL). */
export const inputArgs = (file: string): string[] => ['-protocol_whitelist', 'file', '-format_whitelist', VIDEO_DEMUXERS, '-i', `file:${path.resolve(file)}`];

/** Keeps the last `max` characters a stream writes (ffmpeg's stderr), with `file` shortened to its base name. */
export function collectTail(stream: Readable | null | undefined, file: string, max = 4000): () => string {
  let text = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    text = (text + chunk).slice(-max);
  });
  return () => withBaseName(text, file);
}

/** `text` with every mention of `file`'s absolute path replaced by its base name (error messages never show server paths). */
export function withBaseName(text: string, file: string): string {
  const full = path.resolve(file);
  return text.split(`file:${full}`).join(path.basename(full)).split(full).join(path.basename(full)).trim();
}

/**
 * The last few lines of ffmpeg's stderr as one line for an error message, without the `[demuxer @ 0x…]`
 * prefixes; a format refused by `VIDEO_DEMUXERS` reads as what it is (a still image, audio…).
 */
export function lastLines(text: string, count = 3): string {
  const refused = /\[([\w,]+) @ 0x[0-9a-f]+\] Format not on whitelist/.exec(text)?.[1];
  if (refused) {
    const still = /_pipe$|^image2$|^(png|webp|bmp|tiff)$/.test(refused);
    const format = refused.replace(/_pipe$/, '');
    return still ? `it is a still image (${format}), not a video` : `its format (${format}) is not an accepted video format`;
  }
  const lines = text.split('\n').map((line) => line.replace(/\[[^\]]* @ 0x[0-9a-f]+\]\s*/g, '').trim()).filter(Boolean);
  return [...new Set(lines.slice(-count))].join('; ').slice(-400);
}

/** Error for a file ffmpeg cannot read as a video; the message names the file and what went wrong. */
export function invalidVideo(file: string, problem: string, details: Record<string, unknown> = {}): ValidationError {
  return new ValidationError(`"${path.basename(file)}" is not a usable video: ${problem}`, { reason: 'invalid_video', details });
}

/** Error for an ffmpeg run that failed for reasons other than its input (could not start, killed, out of memory). */
export function ffmpegFailed(program: string, problem: string, cause?: unknown): CoreError {
  return new CoreError('EXTERNAL_FAILURE', `${path.basename(program)} failed: ${problem}`, { reason: 'ffmpeg_failed', details: { program: path.basename(program) }, cause });
}

/**
 * Runs ffmpeg below the model's priority (nice 10): the model's threads, which stall on any preempted
 * thread, keep their cores and ffmpeg's decoding and encoding fill the gaps (the frame queues absorb
 * the jitter). Best effort: where priorities cannot be changed, nothing happens.
 */
export function lowerPriority(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    setPriority(pid, 10);
  } catch {
    /* not permitted here: run at normal priority */
  }
}
