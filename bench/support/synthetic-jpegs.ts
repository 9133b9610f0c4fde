import sharp from 'sharp';
import { createRng } from './rng.js';

export interface SyntheticJpegOptions {
  /** Distinct images to make. */
  count: number;
  width: number;
  height: number;
  quality: number;
  /** Amplitude of the per-pixel noise (0–255): drives the file size, as sensor noise does in photos. */
  noise: number;
  seed: number;
}

const NOISE_PERIOD = 1 << 16;

/** Raw RGB of a photo-like scene: a two-colour gradient, a soft wave, a few flat boxes, and noise. */
function scenePixels(width: number, height: number, noise: number, seed: number): Buffer {
  const rnd = createRng(seed);
  const colour = () => [rnd() * 255, rnd() * 255, rnd() * 255] as const;
  const [from, to] = [colour(), colour()];
  const fx = 0.002 + rnd() * 0.03;
  const fy = 0.002 + rnd() * 0.03;
  const pixels = Buffer.allocUnsafe(width * height * 3);
  for (let y = 0, i = 0; y < height; y++) {
    const wy = 24 * Math.cos(y * fy);
    for (let x = 0; x < width; x++) {
      const t = (x / width + y / height) / 2;
      const wave = wy * Math.sin(x * fx);
      for (let c = 0; c < 3; c++, i++) pixels[i] = from[c]! + (to[c]! - from[c]!) * t + wave;
    }
  }
  for (let box = 0; box < 6; box++) {
    const [bw, bh] = [Math.ceil((rnd() * width) / 3), Math.ceil((rnd() * height) / 3)];
    const [bx, by] = [Math.floor(rnd() * (width - bw)), Math.floor(rnd() * (height - bh))];
    const fill = colour();
    for (let y = by; y < by + bh; y++) {
      for (let x = bx, i = (y * width + bx) * 3; x < bx + bw; x++) for (let c = 0; c < 3; c++, i++) pixels[i] = fill[c]!;
    }
  }
  const grain = new Float32Array(NOISE_PERIOD);
  for (let i = 0; i < NOISE_PERIOD; i++) grain[i] = (rnd() - 0.5) * noise;
  // A 64 Ki-sample noise table walked with a per-row offset: JPEG cannot exploit the repetition, and it is 5× faster.
  for (let y = 0, i = 0, rowBytes = width * 3; y < height; y++) {
    const offset = Math.floor(rnd() * NOISE_PERIOD);
    for (let end = i + rowBytes, k = offset; i < end; i++, k = (k + 1) & (NOISE_PERIOD - 1)) {
      const value = pixels[i]! + grain[k]!;
      pixels[i] = value < 0 ? 0 : value > 255 ? 255 : value;
    }
  }
  return pixels;
}

/**
 * Distinct JPEGs of synthetic scenes, encoded by sharp; a bench reuses them under many names, which is
 * what makes generating thousands of images take seconds, not minutes.
 */
export async function createSyntheticJpegs(o: SyntheticJpegOptions): Promise<Buffer[]> {
  const jpegs: Buffer[] = new Array<Buffer>(o.count);
  const pending = new Set<Promise<void>>();
  for (let n = 0; n < o.count; n++) {
    const raw = scenePixels(o.width, o.height, o.noise, o.seed * 100_003 + n);
    const job: Promise<void> = sharp(raw, { raw: { width: o.width, height: o.height, channels: 3 } })
      .jpeg({ quality: o.quality })
      .toBuffer()
      .then((jpeg) => {
        jpegs[n] = jpeg;
      })
      .finally(() => pending.delete(job));
    pending.add(job);
    if (pending.size >= 2) await Promise.race(pending);
  }
  await Promise.all(pending);
  return jpegs;
}
