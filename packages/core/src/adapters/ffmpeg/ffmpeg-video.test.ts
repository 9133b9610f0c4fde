import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fixturePath } from '../../../../../test/support/fixtures.js';
import { makeTestVideo } from '../../../test/support/video-fixtures.js';
import { ffmpegChildren, fittedPhoto, gridMeans, maxDifference } from '../../../test/support/video-frames.js';
import { decodeVideoFrames, type RawFrame } from './ffmpeg-decode.js';
import { createVideoEncoder } from './ffmpeg-encoder.js';
import { probeVideo } from './ffmpeg-probe.js';
import { requireFfmpeg, type FfmpegPrograms } from './ffmpeg-tools.js';
import { processVideo } from './ffmpeg-video.js';

let dir: string;
let clip: string;
let tools: FfmpegPrograms;
let refs: { bus: number[]; zidane: number[] };

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'yoloops-video-'));
  tools = await requireFfmpeg();
  clip = await makeTestVideo(dir, { frames: 12, fps: 6 });
  refs = {
    bus: gridMeans(await fittedPhoto('bus.jpg', 640, 480), 640, 480),
    zidane: gridMeans(await fittedPhoto('zidane.jpg', 640, 480), 640, 480),
  };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function decodeAll(file: string): Promise<RawFrame[]> {
  const frames: RawFrame[] = [];
  for await (const frame of decodeVideoFrames(file, await probeVideo(file))) frames.push(frame);
  return frames;
}

const streamFacts = async (file: string) =>
  JSON.parse((await execa(tools.ffprobe, ['-v', 'error', '-select_streams', 'v:0', '-count_frames', '-show_entries', 'stream=codec_name,pix_fmt,width,height,nb_read_frames', '-of', 'json', file])).stdout).streams[0];

async function until(done: () => boolean, timeoutMs: number): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !done() && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 5));
}

const fingerprint = (frame: RawFrame) => gridMeans(frame.data, frame.width, frame.height);

describe('probeVideo', () => {
  test('reports the frame rate, size, exact frame count, duration and codec of an MP4', async () => {
    expect(await probeVideo(clip)).toEqual({ fps: 6, width: 640, height: 480, total_frames: 12, duration_s: 2, codec: 'h264' });
  });

  test('counts the frames of a container that does not store their number (Matroska)', async () => {
    const mkv = path.join(dir, 'clip.mkv');
    await execa(tools.ffmpeg, ['-nostdin', '-v', 'error', '-y', '-i', clip, '-c', 'copy', mkv]);
    expect(await probeVideo(mkv)).toMatchObject({ fps: 6, total_frames: 12, codec: 'h264' });
  });

  test('swaps width and height for a 90° display rotation, and decoding delivers frames of that size', async () => {
    const rotated = await makeTestVideo(dir, { frames: 2, fps: 6, rotate: 90, name: 'rotated.mp4' });
    const info = await probeVideo(rotated);
    expect(info).toMatchObject({ width: 480, height: 640, total_frames: 2, rotation: expect.any(Number) });
    expect([90, 270]).toContain(info.rotation);
    const frames = await decodeAll(rotated);
    expect(frames.map((frame) => [frame.width, frame.height, frame.data.length])).toEqual([[480, 640, 480 * 640 * 3], [480, 640, 480 * 640 * 3]]);
  });

  test.each([
    { limits: { maxPixels: 640 * 479 }, problem: /640×480 exceed the limit/ },
    { limits: { maxSide: 639 }, problem: /640×480 exceed the limit/ },
    { limits: { maxFrames: 11 }, problem: /12 frames exceed the limit of 11/ },
  ])('rejects a video over its limits ($limits)', async ({ limits, problem }) => {
    await expect(probeVideo(clip, limits)).rejects.toMatchObject({ code: 'INVALID_INPUT', reason: 'invalid_video', message: expect.stringMatching(problem) });
  });
});

describe('bad video files', () => {
  const write = (name: string, bytes: Buffer | string) => {
    const file = path.join(dir, name);
    writeFileSync(file, bytes);
    return file;
  };

  test.each([
    { name: 'a text file', make: () => write('notes.txt', 'hello, this is not a video\n'), problem: /"notes.txt" is not a usable video: .*Invalid data/ },
    { name: 'a 0-byte file', make: () => write('empty.mp4', ''), problem: /"empty.mp4" is not a usable video: moov atom not found/ },
    { name: 'a JPEG renamed .mp4 (a still image is not a video)', make: () => write('photo.mp4', readFileSync(fixturePath('images/bus.jpg'))), problem: /"photo.mp4" is not a usable video: it is a still image \(jpeg\), not a video/ },
    { name: 'an MP4 cut before its first frame ends', make: () => write('cut.mp4', readFileSync(clip).subarray(0, 12_000)), problem: /"cut.mp4" is not a usable video: .*partial file/ },
  ])('rejects $name with invalid_video naming the problem', async ({ make, problem }) => {
    const file = make();
    await expect(decodeAll(file)).rejects.toMatchObject({ code: 'INVALID_INPUT', reason: 'invalid_video', message: expect.stringMatching(problem) });
    expect(ffmpegChildren()).toEqual([]);
  });

  test('rejects an MP4 with sound but no picture', async () => {
    const file = path.join(dir, 'sound.mp4');
    await execa(tools.ffmpeg, ['-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=duration=0.2', '-c:a', 'aac', file]);
    await expect(probeVideo(file)).rejects.toMatchObject({ reason: 'invalid_video', message: '"sound.mp4" is not a usable video: it has no video stream' });
  });

  test('an MP4 cut halfway yields the frames before the cut, like a player would', async () => {
    const bytes = readFileSync(clip);
    const frames = await decodeAll(write('half.mp4', bytes.subarray(0, Math.floor(bytes.length * 0.6))));
    expect(frames.length).toBeGreaterThan(0);
    expect(frames.length).toBeLessThan(12);
    expect(maxDifference(fingerprint(frames[0]!), refs.bus)).toBeLessThan(12);
  });

  test('never shows the server path of the file in a message', async () => {
    const file = write('secret-dir-name.mp4', '');
    const error = await probeVideo(file).then(() => undefined, (caught: Error) => caught);
    expect(error?.message).toMatch(/"secret-dir-name.mp4" is not a usable video/);
    expect(error?.message).not.toContain(dir);
  });
});

describe('decodeVideoFrames', () => {
  test('yields every frame as 640×480 RGB, bus and zidane alternating', async () => {
    const frames = await decodeAll(clip);
    expect(frames.map((frame) => frame.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    for (const frame of frames) expect(frame).toMatchObject({ width: 640, height: 480, channels: 3, data: expect.objectContaining({ length: 640 * 480 * 3 }) });
    expect(maxDifference(fingerprint(frames[0]!), refs.bus)).toBeLessThan(12);
    expect(maxDifference(fingerprint(frames[1]!), refs.zidane)).toBeLessThan(12);
    expect(maxDifference(fingerprint(frames[0]!), refs.zidane)).toBeGreaterThan(40);
  });

  test('stopping early kills ffmpeg and reaps it', async () => {
    for await (const frame of decodeVideoFrames(clip, await probeVideo(clip))) if (frame.index === 1) break;
    expect(ffmpegChildren()).toEqual([]);
  });

  test('an abort rejects with the signal reason and leaves no ffmpeg behind', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    const run = (async () => {
      for await (const frame of decodeVideoFrames(clip, await probeVideo(clip), { signal: controller.signal })) {
        seen.push(frame.index);
        if (frame.index === 2) controller.abort(new Error('client went away'));
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    await expect(run).rejects.toThrow('client went away');
    expect(seen).toEqual([0, 1, 2]);
    expect(ffmpegChildren()).toEqual([]);
  });
});

describe('createVideoEncoder', () => {
  test('writes an H.264 yuv420p MP4 that plays back with every frame', async () => {
    const frames = await decodeAll(clip);
    const outputPath = path.join(dir, 'encoded.mp4');
    const encoder = await createVideoEncoder({ width: 640, height: 480, fps: 6, outputPath });
    for (const frame of frames) await encoder.write(frame.data);
    await encoder.end();
    expect(await streamFacts(outputPath)).toEqual({ codec_name: 'h264', pix_fmt: 'yuv420p', width: 640, height: 480, nb_read_frames: '12' });
    const replay = await decodeAll(outputPath);
    expect(replay).toHaveLength(12);
    expect(maxDifference(fingerprint(replay[0]!), refs.bus)).toBeLessThan(12);
    expect(maxDifference(fingerprint(replay[11]!), refs.zidane)).toBeLessThan(12);
  });

  test('pads odd sizes by one pixel (yuv420p needs even dimensions)', async () => {
    const outputPath = path.join(dir, 'odd.mp4');
    const encoder = await createVideoEncoder({ width: 321, height: 241, fps: 5, outputPath });
    for (let i = 0; i < 3; i++) await encoder.write(Buffer.alloc(321 * 241 * 3, 200));
    await encoder.end();
    expect(await streamFacts(outputPath)).toMatchObject({ width: 322, height: 242, nb_read_frames: '3' });
  });

  test('refuses a frame of the wrong size, and abort removes the partial file', async () => {
    const outputPath = path.join(dir, 'aborted.mp4');
    const encoder = await createVideoEncoder({ width: 64, height: 48, fps: 5, outputPath });
    await expect(encoder.write(Buffer.alloc(10))).rejects.toMatchObject({ reason: 'invalid_frame' });
    await encoder.write(Buffer.alloc(64 * 48 * 3));
    await encoder.abort();
    expect(existsSync(outputPath)).toBe(false);
    expect(ffmpegChildren()).toEqual([]);
  });
});

describe('processVideo', () => {
  test('detects, annotates, encodes and reports every frame in order, detecting the next frame while the last is sent', async () => {
    const events: string[] = [];
    const outputPath = path.join(dir, 'processed.mp4');
    const result = await processVideo({
      input: clip,
      encodeTo: outputPath,
      onInfo: (info) => void events.push(`info ${info.total_frames}`),
      detectFrame: async (frame) => {
        events.push(`detect ${frame.index}`);
        return { index: frame.index, mean: fingerprint(frame)[0] };
      },
      annotate: (frame) => Buffer.from(frame.data).fill(255, 0, 640 * 3 * 10),
      onFrame: async (frame, result, annotated) => {
        expect(result.index).toBe(frame.index);
        expect(annotated[0]).toBe(255);
        // Frame i is held here until detection of frame i+1 has started: without overlap this waits out its 2 s.
        if (frame.index < 3) await until(() => events.includes(`detect ${frame.index + 1}`), 2000);
        events.push(`sent ${frame.index}`);
      },
    });
    expect(result).toMatchObject({ info: { total_frames: 12 }, processed_frames: 12 });
    expect(result.results.map((entry) => entry.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(events[0]).toBe('info 12');
    expect(events.filter((event) => event.startsWith('sent'))).toEqual(result.results.map((entry) => `sent ${entry.index}`));
    for (const i of [0, 1, 2]) expect(events.indexOf(`detect ${i + 1}`)).toBeLessThan(events.indexOf(`sent ${i}`));
    expect(await streamFacts(outputPath)).toMatchObject({ codec_name: 'h264', nb_read_frames: '12' });
  });

  test('an abort mid-video rejects, stops every ffmpeg and removes the partial MP4', async () => {
    const controller = new AbortController();
    const outputPath = path.join(dir, 'stopped.mp4');
    const sent: number[] = [];
    const run = processVideo({
      input: clip,
      encodeTo: outputPath,
      signal: controller.signal,
      detectFrame: async (frame) => frame.index,
      annotate: (frame) => frame.data,
      onFrame: (frame) => {
        sent.push(frame.index);
        if (frame.index === 3) controller.abort(new Error('stopped by the user'));
      },
    });
    await expect(run).rejects.toThrow('stopped by the user');
    expect(sent).toEqual([0, 1, 2, 3]);
    expect(existsSync(outputPath)).toBe(false);
    expect(ffmpegChildren()).toEqual([]);
  });

  test('a failing detectFrame rejects with its error and leaves no ffmpeg behind', async () => {
    const run = processVideo({
      input: clip,
      detectFrame: async (frame) => {
        if (frame.index === 4) throw new Error('model crashed');
        return frame.index;
      },
      annotate: (frame) => frame.data,
    });
    await expect(run).rejects.toThrow('model crashed');
    expect(ffmpegChildren()).toEqual([]);
  });
});

describe('YOLOOPS_FFMPEG', () => {
  test('every video call reads YOLOOPS_FFMPEG when it runs', async () => {
    const previous = process.env.YOLOOPS_FFMPEG;
    process.env.YOLOOPS_FFMPEG = path.join(dir, 'no-such-ffmpeg');
    try {
      await expect(probeVideo(clip)).rejects.toMatchObject({ code: 'EXTERNAL_FAILURE', reason: 'ffmpeg_missing' });
      await expect(createVideoEncoder({ width: 2, height: 2, fps: 1, outputPath: path.join(dir, 'x.mp4') })).rejects.toMatchObject({ reason: 'ffmpeg_missing' });
    } finally {
      if (previous === undefined) delete process.env.YOLOOPS_FFMPEG;
      else process.env.YOLOOPS_FFMPEG = previous;
    }
    copyFileSync(clip, path.join(dir, 'still-fine.mp4'));
    expect((await probeVideo(path.join(dir, 'still-fine.mp4'))).total_frames).toBe(12);
  });
});
