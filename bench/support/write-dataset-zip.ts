import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import * as fsp from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import yazl from 'yazl';
import { createRng } from './rng.js';

export interface DatasetZipOptions {
  file: string;
  /** Distinct JPEGs, reused in turn under new names. */
  jpegs: readonly Buffer[];
  train: number;
  val: number;
  classes: readonly string[];
  /** Deflate level of every entry (default 6, what `zip` and most archivers use). */
  compressionLevel?: number;
  seed?: number;
}

/**
 * The yazl internals this writer leans on: entries finish in order (`state`), and `addBuffer` keeps each
 * compressed buffer alive in the entry's `doFileDataPump` closure until the archive ends (1 GiB for a
 * 1 GiB ZIP), so finished entries drop it — it is called once, when the entry is written.
 */
interface YazlEntries {
  entries: Array<{ state: number; doFileDataPump: unknown }>;
}
const YAZL_FILE_DATA_DONE = 3;
/** Entries queued ahead of the writer: each holds a zlib context and, once compressed, its output. */
const WINDOW = 16;
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

/** 1–5 valid YOLO rows `cls cx cy w h`, six decimals, boxes inside the image. */
function labelText(rnd: () => number, classCount: number): string {
  const rows: string[] = [];
  for (let n = 1 + Math.floor(rnd() * 5); n > 0; n--) {
    const [w, h] = [0.02 + rnd() * 0.48, 0.02 + rnd() * 0.48];
    const [cx, cy] = [w / 2 + rnd() * (1 - w), h / 2 + rnd() * (1 - h)];
    rows.push([Math.floor(rnd() * classCount), cx.toFixed(6), cy.toFixed(6), w.toFixed(6), h.toFixed(6)].join(' '));
  }
  return `${rows.join('\n')}\n`;
}

/**
 * Streams an Ultralytics-layout dataset ZIP to `file` (`data.yaml`, `images/{train,val}/*.jpg`,
 * `labels/{train,val}/*.txt`) with at most a few dozen MiB in memory, whatever its size. Returns its size in bytes.
 */
export async function writeDatasetZip(o: DatasetZipOptions): Promise<number> {
  const rnd = createRng(o.seed ?? 1);
  const level = o.compressionLevel ?? 6;
  const zip = new yazl.ZipFile();
  const out = createWriteStream(o.file);
  const written = once(out, 'close');
  const output = zip.outputStream as Readable;
  output.pipe(out);
  const internals = zip as unknown as YazlEntries;
  let done = 0;
  const settle = async () => {
    for (;;) {
      for (let entry = internals.entries[done]; entry?.state === YAZL_FILE_DATA_DONE; entry = internals.entries[++done]) {
        entry.doFileDataPump = undefined;
      }
      const buffered = output.readableLength + out.writableLength;
      if (internals.entries.length - done <= WINDOW && buffered <= MAX_BUFFERED_BYTES) return;
      await delay(2);
    }
  };
  // yazl ≥ 3 reads `compressionLevel`; @types/yazl predates it.
  const entryOptions = { compress: level > 0, compressionLevel: level, mtime: new Date(2024, 0, 1) };
  const add = async (data: Buffer, name: string) => {
    zip.addBuffer(data, name, entryOptions);
    await settle();
  };
  await add(Buffer.from(`path: .\ntrain: images/train\nval: images/val\nnames: [${o.classes.join(', ')}]\n`), 'data.yaml');
  const names = Array.from({ length: o.train + o.val }, (_, i) => ({
    split: i < o.train ? 'train' : 'val',
    base: `img_${String(i).padStart(6, '0')}`,
  }));
  for (const [i, { split, base }] of names.entries()) await add(o.jpegs[i % o.jpegs.length]!, `images/${split}/${base}.jpg`);
  for (const { split, base } of names) await add(Buffer.from(labelText(rnd, o.classes.length)), `labels/${split}/${base}.txt`);
  zip.end();
  await written;
  return (await fsp.stat(o.file)).size;
}
