import { rename } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { fixturePath } from '../../../../test/support/fixtures.js';
import { requireFfmpeg } from '../../src/adapters/ffmpeg/ffmpeg-tools.js';

export interface TestVideoOptions {
  /** Frame count (default 12): bus.jpg and zidane.jpg alternate, bus first. */
  frames?: number;
  fps?: number;
  /** Frame size (default 640×480); each photo is scaled to fit and padded with black. Must be even. */
  size?: { width: number; height: number };
  /** Display rotation stored in the container (`rotate` tag), the pixels left as they are. */
  rotate?: 90 | 180 | 270;
  /** File name inside `dir` (default `clip.mp4`). */
  name?: string;
}

/**
 * Builds a short H.264 MP4 from the fixture photos with the ffmpeg the adapters use (system or npm-shipped; no video is committed).
 * @example const video = await makeTestVideo(tmp, { frames: 12, fps: 6 });
 */
export async function makeTestVideo(dir: string, options: TestVideoOptions = {}): Promise<string> {
  const { frames = 12, fps = 6, size = { width: 640, height: 480 }, rotate, name = 'clip.mp4' } = options;
  const { width: w, height: h } = size;
  const fit = `scale=${w}:${h}:force_original_aspect_ratio=decrease,pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2,setsar=1,format=yuv420p`;
  const graph = `[0]${fit}[a];[1]${fit}[b];[a][b]concat=n=2,loop=loop=-1:size=2,setpts=N/${fps}/TB[v]`;
  const output = path.join(dir, name);
  const { ffmpeg } = await requireFfmpeg();
  await execa(ffmpeg, [
    '-nostdin', '-v', 'error', '-y', '-i', fixturePath('images/bus.jpg'), '-i', fixturePath('images/zidane.jpg'),
    '-filter_complex', graph, '-map', '[v]', '-r', String(fps), '-frames:v', String(frames),
    '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-preset', 'veryfast', '-movflags', '+faststart', output,
  ]);
  if (rotate === undefined) return output;
  // The rotation tag only sticks on a stream copy (an encode drops it), hence the second pass.
  const rotated = path.join(dir, `rotated-${name}`);
  await execa(ffmpeg, ['-nostdin', '-v', 'error', '-y', '-i', output, '-c', 'copy', '-metadata:s:v:0', `rotate=${rotate}`, rotated]);
  await rename(rotated, output);
  return output;
}
