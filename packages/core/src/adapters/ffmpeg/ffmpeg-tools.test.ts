import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { assertH264, findFfmpeg, requireFfmpeg } from './ffmpeg-tools.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'yoloops-ffmpeg-lookup-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface FakeOptions {
  version?: string;
  libx264?: boolean;
  fpsMode?: boolean;
  executable?: boolean;
}

/** A shell script that answers -version, -encoders and -h long like an ffmpeg build would, and logs each call beside itself. */
function fakeProgram(folder: string, name: 'ffmpeg' | 'ffprobe', options: FakeOptions = {}): string {
  const { version = '6.1.1-fake', libx264 = true, fpsMode = true, executable = true } = options;
  mkdirSync(folder, { recursive: true });
  const file = path.join(folder, name);
  writeFileSync(file, [
    '#!/bin/sh',
    'echo "$*" >> "$0.calls"',
    'case "$*" in',
    `  *-version*) echo "${name} version ${version} Copyright (c) 2000-2023 the FFmpeg developers"; echo "libavutil      58. 29.100";;`,
    `  *-encoders*) echo "Encoders:"; echo " V..... = Video"; echo " ------"; echo " V....D libvpx               libvpx VP8 (codec vp8)"${libx264 ? '; echo " V....D libx264              libx264 H.264 / AVC / MPEG-4 AVC (codec h264)"' : ''};;`,
    `  *-h*) echo "-vsync              video sync method"${fpsMode ? '; echo "-fps_mode[:<stream_spec>] <mode>  set framerate mode"' : ''};;`,
    'esac',
    '',
  ].join('\n'));
  chmodSync(file, executable ? 0o755 : 0o644);
  return file;
}

/** A folder laid out like an installer package: `module.exports = { path }` naming a binary beside it. */
function fakePackage(folder: string, name: 'ffmpeg' | 'ffprobe', options: FakeOptions = {}): string {
  fakeProgram(folder, name, options);
  writeFileSync(path.join(folder, 'index.js'), `module.exports = { path: require('path').join(__dirname, ${JSON.stringify(name)}), version: 'fake' };\n`);
  return folder;
}

const calls = (program: string) => readFileSync(`${program}.calls`, 'utf8').trim().split('\n');
const noPackages = { ffmpeg: '@yoloops/no-such-ffmpeg-installer', ffprobe: '@yoloops/no-such-ffprobe-installer' };
const requireHere = createRequire(import.meta.url);

describe('findFfmpeg', () => {
  test('YOLOOPS_FFMPEG / YOLOOPS_FFPROBE win over PATH and the npm packages', async () => {
    const ffmpeg = fakeProgram(path.join(dir, 'env'), 'ffmpeg', { version: '7.0-env' });
    const ffprobe = fakeProgram(path.join(dir, 'env'), 'ffprobe');
    fakeProgram(path.join(dir, 'env-path'), 'ffmpeg');
    fakeProgram(path.join(dir, 'env-path'), 'ffprobe');
    const found = await findFfmpeg({ PATH: path.join(dir, 'env-path'), YOLOOPS_FFMPEG: ffmpeg, YOLOOPS_FFPROBE: ffprobe });
    expect(found).toEqual({ ffmpeg, ffprobe, source: 'env', ffprobeSource: 'env', version: '7.0-env', h264: true, frameSyncOption: '-fps_mode' });
  });

  test('the system programs on PATH come before the npm-shipped ones', async () => {
    const bin = path.join(dir, 'system');
    const ffmpeg = fakeProgram(bin, 'ffmpeg', { version: '6.1.1-3ubuntu5' });
    const ffprobe = fakeProgram(bin, 'ffprobe');
    const found = await findFfmpeg({ PATH: ['', path.join(dir, 'nothing-here'), bin].join(path.delimiter) });
    expect(found).toEqual({ ffmpeg, ffprobe, source: 'system', ffprobeSource: 'system', version: '6.1.1-3ubuntu5', h264: true, frameSyncOption: '-fps_mode' });
  });

  test('without them on PATH, the binaries of @ffmpeg-installer/ffmpeg and @ffprobe-installer/ffprobe (real, with libx264)', async () => {
    const found = await requireFfmpeg({ PATH: path.join(dir, 'nothing-here') });
    const shipped = { ffmpeg: (requireHere('@ffmpeg-installer/ffmpeg') as { path: string }).path, ffprobe: (requireHere('@ffprobe-installer/ffprobe') as { path: string }).path };
    expect(found).toMatchObject({ ...shipped, source: 'npm', ffprobeSource: 'npm', h264: true });
    expect(found.ffmpeg).toMatch(/node_modules[\\/]@ffmpeg-installer[\\/]/);
    expect(found.version).not.toBe('unknown');
    // the npm build (ffmpeg 4.1) predates -fps_mode; whatever it is, the option chosen is the one it lists
    expect(['-fps_mode', '-vsync']).toContain(found.frameSyncOption);
  });

  test('an npm package given as a path is used like the installed ones', async () => {
    const packages = { ffmpeg: fakePackage(path.join(dir, 'pkg-ffmpeg'), 'ffmpeg', { version: '4.4-npm', fpsMode: false }), ffprobe: fakePackage(path.join(dir, 'pkg-ffprobe'), 'ffprobe') };
    const found = await findFfmpeg({ PATH: '' }, { packages });
    expect(found).toEqual({
      ffmpeg: path.join(packages.ffmpeg, 'ffmpeg'), ffprobe: path.join(packages.ffprobe, 'ffprobe'), source: 'npm', ffprobeSource: 'npm', version: '4.4-npm', h264: true, frameSyncOption: '-vsync',
    });
  });

  test('a system ffmpeg without libx264 is passed over for the npm one; ffprobe stays the system one', async () => {
    const bin = path.join(dir, 'no-x264');
    fakeProgram(bin, 'ffmpeg', { libx264: false });
    const ffprobe = fakeProgram(bin, 'ffprobe');
    const packages = { ffmpeg: fakePackage(path.join(dir, 'pkg-x264'), 'ffmpeg', { version: 'npm-x264' }), ffprobe: noPackages.ffprobe };
    expect(await findFfmpeg({ PATH: bin }, { packages })).toMatchObject({ ffmpeg: path.join(packages.ffmpeg, 'ffmpeg'), source: 'npm', version: 'npm-x264', ffprobe, ffprobeSource: 'system', h264: true });
  });

  test('an ffmpeg without libx264 and nothing better is still found, and encoding with it fails naming the problem', async () => {
    const bin = path.join(dir, 'only-no-x264');
    const ffmpeg = fakeProgram(bin, 'ffmpeg', { libx264: false, version: '5.1-free' });
    fakeProgram(bin, 'ffprobe');
    const found = await requireFfmpeg({ PATH: bin }, { packages: noPackages });
    expect(found).toMatchObject({ ffmpeg, source: 'system', h264: false });
    expect(() => assertH264(found)).toThrow(expect.objectContaining({ code: 'EXTERNAL_FAILURE', reason: 'ffmpeg_no_h264', message: expect.stringMatching(/^ffmpeg 5\.1-free \(system\) cannot encode H\.264: it has no libx264 encoder/) }));
  });

  test('asks each ffmpeg binary its version and encoders once, however often it is looked up', async () => {
    const bin = path.join(dir, 'counted');
    const ffmpeg = fakeProgram(bin, 'ffmpeg');
    fakeProgram(bin, 'ffprobe');
    for (let i = 0; i < 5; i++) await findFfmpeg({ PATH: bin });
    expect(calls(ffmpeg).sort()).toEqual(['-hide_banner -encoders', '-hide_banner -h long', '-hide_banner -version']);
  });

  test('an npm binary that is not executable (its install script did not run) is not found', async () => {
    const packages = { ffmpeg: fakePackage(path.join(dir, 'pkg-noexec'), 'ffmpeg', { executable: false }), ffprobe: fakePackage(path.join(dir, 'pkg-noexec-probe'), 'ffprobe') };
    expect(await findFfmpeg({ PATH: '' }, { packages })).toBeUndefined();
  });

  test.each([
    { env: { PATH: '' }, packages: noPackages, message: 'ffmpeg is not installed: apt-get install ffmpeg, or npm install @yoloops/no-such-ffmpeg-installer' },
    { env: { PATH: '', YOLOOPS_FFMPEG: '/nonexistent/ffmpeg' }, packages: undefined, message: 'ffmpeg is not installed where YOLOOPS_FFMPEG points' },
    { env: { PATH: '', YOLOOPS_FFPROBE: '/nonexistent/ffprobe' }, packages: undefined, message: 'ffprobe is not installed where YOLOOPS_FFPROBE points' },
  ])('without a usable program ($env.YOLOOPS_FFMPEG $env.YOLOOPS_FFPROBE) fails with a CoreError naming it', async ({ env, packages, message }) => {
    expect(await findFfmpeg(env, { packages })).toBeUndefined();
    await expect(requireFfmpeg(env, { packages })).rejects.toMatchObject({ code: 'EXTERNAL_FAILURE', reason: 'ffmpeg_missing', message: expect.stringContaining(message) });
  });
});
