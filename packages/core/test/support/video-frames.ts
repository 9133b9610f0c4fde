import { readdirSync, readFileSync } from 'node:fs';
import sharp from 'sharp';
import { fixturePath } from '../../../../test/support/fixtures.js';

/** Mean RGB of each cell of a `cells × cells` grid over a packed RGB frame: a coarse fingerprint of the picture. */
export function gridMeans(data: Buffer, width: number, height: number, cells = 4): number[] {
  const sums = new Array<number>(cells * cells * 3).fill(0);
  const counts = new Array<number>(cells * cells).fill(0);
  for (let y = 0; y < height; y += 2) {
    const row = Math.floor((y * cells) / height);
    for (let x = 0; x < width; x += 2) {
      const cell = row * cells + Math.floor((x * cells) / width);
      const at = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) sums[cell * 3 + c]! += data[at + c]!;
      counts[cell]! += 1;
    }
  }
  return sums.map((sum, i) => sum / counts[Math.floor(i / 3)]!);
}

/** Largest difference between two fingerprints. */
export const maxDifference = (a: number[], b: number[]): number => Math.max(...a.map((value, i) => Math.abs(value - (b[i] ?? 0))));

/** A fixture photo scaled to fit `width × height` and padded with black, as packed RGB (what `makeTestVideo` draws). */
export async function fittedPhoto(name: 'bus.jpg' | 'zidane.jpg', width: number, height: number): Promise<Buffer> {
  return sharp(readFileSync(fixturePath('images', name)))
    .resize(width, height, { fit: 'contain', background: { r: 0, g: 0, b: 0 } })
    .removeAlpha()
    .raw()
    .toBuffer();
}

/** Children of this process that run `ffmpeg` or `ffprobe`, zombies included (a reaped child is gone). */
export function ffmpegChildren(): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && /^ff(mpeg|probe)$/.test(name)) found.push(`${pid} ${name}`);
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}
