import { setPriority } from 'node:os';
import { constants, type Stats } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { execa } from 'execa';
import { CoreError, ValidationError } from '../../errors.js';

/** Where a program was found: its `YOLOOPS_FFMPEG` / `YOLOOPS_FFPROBE` override, the system's `PATH`, or the optional npm package that ships it. */
export type FfmpegSource = 'env' | 'system' | 'npm';

/** The two programs the video adapters run, where they were found, and what this ffmpeg can do. */
export interface FfmpegPrograms {
  /** Absolute path of ffmpeg. */
  ffmpeg: string;
  /** Absolute path of ffprobe. */
  ffprobe: string;
  /** Where ffmpeg was found. */
  source: FfmpegSource;
  /** Where ffprobe was found (looked up the same way, so usually beside ffmpeg). */
  ffprobeSource: FfmpegSource;
  /** ffmpeg's version as it prints it (`7.1.1-1+b1`, `N-47683-g0e8eb07980-static`); `unknown` when it printed none. */
  version: string;
  /** Whether this ffmpeg has the libx264 encoder that annotated videos are written with. */
  h264: boolean;
  /** Option that keeps every decoded frame as it is: `-fps_mode` since ffmpeg 5.1, `-vsync` in older builds (the npm one is 4.1). */
  frameSyncOption: '-fps_mode' | '-vsync';
}

/** Options of `findFfmpeg`: the npm packages of the last fallback (default `@ffmpeg-installer/ffmpeg` and `@ffprobe-installer/ffprobe`). */
export interface FfmpegLookupOptions {
  packages?: Record<'ffmpeg' | 'ffprobe', string>;
}

type Program = 'ffmpeg' | 'ffprobe';
const ENV_OVERRIDE: Record<Program, string> = { ffmpeg: 'YOLOOPS_FFMPEG', ffprobe: 'YOLOOPS_FFPROBE' };
const NPM_PACKAGES: Record<Program, string> = { ffmpeg: '@ffmpeg-installer/ffmpeg', ffprobe: '@ffprobe-installer/ffprobe' };
const requireFromHere = createRequire(import.meta.url);

/**
 * Demuxers a video may be read with. Anything else (HLS/concat playlists that open further URLs or
 * local files, still images, audio) is refused by ffmpeg itself before it reads past the header.
 */
export const VIDEO_DEMUXERS = 'mov,matroska,avi,flv,mpegts,mpeg,asf,ogg,gif,ivf,h264,hevc,m4v';

async function executableFile(file: string): Promise<Stats | undefined> {
  try {
    await access(file, constants.X_OK);
    const found = await stat(file);
    return found.isFile() ? found : undefined;
  } catch {
    return undefined;
  }
}

/** The binary an installer package ships for this platform; undefined when that optional package is not installed or has no build here (it throws then). */
function npmBinary(packageName: string): string | undefined {
  try {
    const shipped = (requireFromHere(packageName) as { path?: unknown } | null)?.path;
    return typeof shipped === 'string' ? shipped : undefined;
  } catch {
    return undefined;
  }
}

interface Candidate {
  path: string;
  source: FfmpegSource;
  stats: Stats;
}

/** The override alone when it is set; else the first `program` on `PATH`, then the npm-shipped one. */
async function candidates(program: Program, env: NodeJS.ProcessEnv, packages: Record<Program, string>): Promise<Candidate[]> {
  const override = env[ENV_OVERRIDE[program]];
  if (override) {
    const stats = await executableFile(override);
    return stats ? [{ path: path.resolve(override), source: 'env', stats }] : [];
  }
  const found: Candidate[] = [];
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    const file = dir ? path.resolve(dir, program) : undefined;
    const stats = file ? await executableFile(file) : undefined;
    if (file && stats) {
      found.push({ path: file, source: 'system', stats });
      break;
    }
  }
  const shipped = npmBinary(packages[program]);
  const stats = shipped ? await executableFile(shipped) : undefined;
  if (shipped && stats) found.push({ path: shipped, source: 'npm', stats });
  return found;
}

interface FfmpegTraits {
  runs: boolean;
  version: string;
  h264: boolean;
  frameSyncOption: '-fps_mode' | '-vsync';
}
const traitsSeen = new Map<string, Promise<FfmpegTraits>>();

/** Version, libx264 and the frame-sync option of one ffmpeg binary, asked once per file (path, size and mtime). */
function traitsOf({ path: file, stats }: Candidate): Promise<FfmpegTraits> {
  const key = `${file}\0${stats.size}\0${stats.mtimeMs}`;
  let traits = traitsSeen.get(key);
  if (!traits) {
    const run = (args: string[]) => execa(file, ['-hide_banner', ...args], { reject: false, stdin: 'ignore', timeout: 15_000, maxBuffer: 4_000_000 }).then((result) => ({ ok: result.exitCode === 0, out: String(result.stdout ?? '') }));
    traits = Promise.all([run(['-version']), run(['-encoders']), run(['-h', 'long'])]).then(([version, encoders, options]) => {
      const number = /^ffmpeg version (\S+)/m.exec(version.out)?.[1];
      return {
        runs: version.ok && number !== undefined,
        version: number ?? 'unknown',
        h264: /^\s*V\S*\s+libx264\s/m.test(encoders.out),
        frameSyncOption: /^-fps_mode\b/m.test(options.out) ? '-fps_mode' : '-vsync',
      };
    });
    traitsSeen.set(key, traits);
  }
  return traits;
}

/** Of the ffmpeg candidates: the first that runs and has libx264, else the first that runs, else the first (an override is used as it is). */
async function pickFfmpeg(found: Candidate[]): Promise<(Candidate & FfmpegTraits) | undefined> {
  const rated = await Promise.all(found.map(async (candidate) => ({ ...candidate, ...(await traitsOf(candidate)) })));
  return rated.find((c) => c.runs && c.h264) ?? rated.find((c) => c.runs) ?? rated[0];
}

type Lookup = FfmpegPrograms | { missing: Program };

async function lookup(env: NodeJS.ProcessEnv, options: FfmpegLookupOptions): Promise<Lookup> {
  const packages = options.packages ?? NPM_PACKAGES;
  const [ffmpegs, ffprobes] = await Promise.all([candidates('ffmpeg', env, packages), candidates('ffprobe', env, packages)]);
  const ffmpeg = await pickFfmpeg(ffmpegs);
  if (!ffmpeg) return { missing: 'ffmpeg' };
  const ffprobe = ffprobes[0];
  if (!ffprobe) return { missing: 'ffprobe' };
  const { version, h264, frameSyncOption } = ffmpeg;
  return { ffmpeg: ffmpeg.path, ffprobe: ffprobe.path, source: ffmpeg.source, ffprobeSource: ffprobe.source, version, h264, frameSyncOption };
}

function missing(program: Program, env: NodeJS.ProcessEnv, packages: Record<Program, string>): CoreError {
  const variable = ENV_OVERRIDE[program];
  const override = env[variable];
  const message = override
    ? `${program} is not installed where ${variable} points: fix ${variable}, or unset it to use the system's or the npm-shipped ${program}`
    : `${program} is not installed: apt-get install ffmpeg, or npm install ${packages[program]} (an optional dependency that ships it; its install script must have run), or set ${variable}`;
  return new CoreError('EXTERNAL_FAILURE', message, { reason: 'ffmpeg_missing', details: { program, ...(override ? { [variable]: override } : {}) } });
}

/**
 * Finds ffmpeg and ffprobe: `YOLOOPS_FFMPEG` / `YOLOOPS_FFPROBE` when set, else the system's on `PATH`
 * (newer and patched by the distribution; an ffmpeg without libx264 is passed over for the npm one),
 * else the binaries of the optional npm packages `@ffmpeg-installer/ffmpeg` and `@ffprobe-installer/ffprobe`.
 * Undefined when either is missing. Each ffmpeg binary is asked its version and encoders once per process.
 * @example const tools = await findFfmpeg(); if (!tools) console.warn('video inference disabled');
 */
export async function findFfmpeg(env: NodeJS.ProcessEnv = process.env, options: FfmpegLookupOptions = {}): Promise<FfmpegPrograms | undefined> {
  const found = await lookup(env, options);
  return 'missing' in found ? undefined : found;
}

/** Like `findFfmpeg`, but throws a `CoreError` (`EXTERNAL_FAILURE`, reason `ffmpeg_missing`) naming the missing program. */
export async function requireFfmpeg(env: NodeJS.ProcessEnv = process.env, options: FfmpegLookupOptions = {}): Promise<FfmpegPrograms> {
  const found = await lookup(env, options);
  if ('missing' in found) throw missing(found.missing, env, options.packages ?? NPM_PACKAGES);
  return found;
}

/** Throws a `CoreError` (`EXTERNAL_FAILURE`, reason `ffmpeg_no_h264`) when the ffmpeg found cannot write H.264 with libx264. */
export function assertH264(tools: FfmpegPrograms): void {
  if (tools.h264) return;
  const fix = tools.source === 'env' ? 'point YOLOOPS_FFMPEG at an ffmpeg built with libx264, or unset it' : 'install an ffmpeg built with libx264 (or set YOLOOPS_FFMPEG to one)';
  throw new CoreError('EXTERNAL_FAILURE', `ffmpeg ${tools.version} (${tools.source}) cannot encode H.264: it has no libx264 encoder; ${fix}`, {
    reason: 'ffmpeg_no_h264', details: { source: tools.source, version: tools.version },
  });
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
 * prefixes, led by the demuxer's "partial file" when it said so; a format refused by `VIDEO_DEMUXERS`
 * reads as what it is (a still image, audio…).
 */
export function lastLines(text: string, count = 3): string {
  const refused = /\[([\w,]+) @ 0x[0-9a-f]+\] Format not on whitelist/.exec(text)?.[1];
  if (refused) {
    const still = /_pipe$|^image2$|^(png|webp|bmp|tiff)$/.test(refused);
    const format = refused.replace(/_pipe$/, '');
    return still ? `it is a still image (${format}), not a video` : `its format (${format}) is not an accepted video format`;
  }
  const lines = text.split('\n').map((line) => line.replace(/\[[^\]]* @ 0x[0-9a-f]+\]\s*/g, '').trim()).filter(Boolean);
  const tail = [...new Set(lines.slice(-count))].join('; ').slice(-400);
  // a truncated file is the cause, whatever the decoder says after it (older builds say more)
  const truncated = lines.find((line) => /: partial file$/.test(line));
  return truncated && !tail.includes(truncated) ? `${truncated}; ${tail}` : tail;
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
