import { readFileSync } from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { deflatedZeros, zipBytes } from '../../../core/test/support/craft-zip.js';
import { fixturePath, listFiles } from '../../../../test/support/fixtures.js';

export const MiB = 1024 * 1024;
export const COCO8 = fixturePath('datasets/coco8');

/** The COCO8 fixture as `images/<split>/<stem>.jpg` and `labels/<split>/<stem>.txt` → bytes. */
export function coco8Files(): Record<string, Buffer> {
  const files: Record<string, Buffer> = {};
  for (const rel of listFiles(COCO8)) {
    if (rel.startsWith('images/') || rel.startsWith('labels/')) files[rel] = readFileSync(path.join(COCO8, rel));
  }
  return files;
}

/** One real, fully decodable JPEG of the fixture (22 KB). */
export const smallJpeg = (): Buffer => readFileSync(path.join(COCO8, 'images/train/000000000030.jpg'));

/** The four training images of COCO8, as bytes. */
export const trainJpegs = (): Buffer[] =>
  ['000000000009', '000000000025', '000000000030', '000000000034'].map((s) => readFileSync(path.join(COCO8, `images/train/${s}.jpg`)));

/** A well-formed dataset ZIP: the COCO8 images and labels plus `extra` entries. */
export const coco8Zip = (extra: Record<string, Buffer | string> = {}): Buffer => zipBytes({ ...coco8Files(), ...extra });

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * A valid 1-bit greyscale PNG of `width`×`height` black pixels, made by hand (sharp refuses to create
 * one over its pixel limit): 30000×30000 is 900 MP in ~110 KB.
 */
export function blackPng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([1, 0, 0, 0, 0], 8); // bit depth 1, greyscale, deflate, no filter method, no interlace
  const raw = (1 + Math.ceil(width / 8)) * height; // a filter byte then the packed row
  const adler = Buffer.alloc(4);
  adler.writeUInt32BE(((raw % 65521) * 65536 + 1) >>> 0, 0); // Adler-32 of zeros: a = 1, b = n mod 65521
  const zlib = Buffer.concat([Buffer.from([0x78, 0x9c]), deflatedZeros(raw), adler]);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, pngChunk('IHDR', ihdr), pngChunk('IDAT', zlib), pngChunk('IEND', Buffer.alloc(0))]);
}

/** A small valid PNG (16×16), to be uploaded under a `.zip` name. */
export const pngBytes = (): Buffer => blackPng(16, 16);

/** An SVG document, to be sent with a `.jpg` name. */
export const svgImage = (): Buffer =>
  Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64"/></svg>');
