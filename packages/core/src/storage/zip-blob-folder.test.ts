import { createWriteStream } from 'node:fs';
import * as fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createFsBlobStore } from '../adapters/fs/fs-blob-store.js';
import { openSafeZip } from '../datasets/zip/open-safe-zip.js';
import type { BlobStore } from './blob-store.port.js';
import { zipBlobFolder } from './zip-blob-folder.js';

let dir: string;
let blobs: BlobStore;
beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'yoloops-zip-folder-'));
  blobs = createFsBlobStore(path.join(dir, 'data'));
});
afterEach(() => fsp.rm(dir, { recursive: true, force: true }));

/** Zips `prefix` to a file outside the data root and opens it again with the checks every uploaded ZIP gets. */
async function zipped(prefix: string) {
  await pipeline(zipBlobFolder(blobs, prefix), createWriteStream(path.join(dir, 'out.zip')));
  const reader = await createFsBlobStore(dir).open('out.zip');
  const zip = await openSafeZip(reader);
  const files = new Map<string, { bytes: Buffer; compressedSize: number }>();
  for (const entry of zip.entries) files.set(entry.name, { bytes: await zip.readEntry(entry, 1024 * 1024), compressedSize: entry.compressedSize });
  await zip.close();
  await reader.close();
  return { names: zip.entries.map((entry) => entry.name), files };
}

describe('zipBlobFolder', () => {
  test('every blob under the prefix, named relative to it, with the same bytes; weights stored, text deflated', async () => {
    const prefix = 'jobs/job_1/train/checkpoint-200';
    const weights = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256));
    const state = JSON.stringify({ global_step: 200, log_history: Array.from({ length: 50 }, (_, i) => ({ step: i, loss: 1.5 })) });
    await blobs.write(`${prefix}/adapter_model.safetensors`, weights);
    await blobs.write(`${prefix}/trainer_state.json`, state);
    await blobs.write(`${prefix}/tokenizer/special_tokens_map.json`, '{"eos_token":"</s>"}');
    // Neighbours the ZIP must leave out: a sibling whose name starts like the folder, and the run folder's own files.
    await blobs.write('jobs/job_1/train/checkpoint-2000/trainer_state.json', '{}');
    await blobs.write('jobs/job_1/train/all_results.json', '{}');

    const { names, files } = await zipped(prefix);
    expect([...names].sort()).toEqual(['adapter_model.safetensors', 'tokenizer/special_tokens_map.json', 'trainer_state.json']);
    expect(files.get('adapter_model.safetensors')?.bytes.equals(weights)).toBe(true);
    expect(files.get('trainer_state.json')?.bytes.toString()).toBe(state);
    expect(files.get('tokenizer/special_tokens_map.json')?.bytes.toString()).toBe('{"eos_token":"</s>"}');
    expect(files.get('adapter_model.safetensors')?.compressedSize).toBe(weights.length);
    expect(files.get('trainer_state.json')?.compressedSize).toBeLessThan(state.length);
  });

  test('a folder with nothing stored under it gives a valid empty ZIP', async () => {
    await blobs.write('instructions/ids_1/processed/v1/dataset_info.json', '{}');
    expect(await zipped('instructions/ids_1/processed/v2')).toEqual({ names: [], files: new Map() });
  });

  test('the same folder zips to the same bytes (fixed times, body order)', async () => {
    await blobs.write('instructions/ids_1/processed/v1/dataset_info.json', '{"train":{}}');
    await blobs.write('instructions/ids_1/processed/v1/train.jsonl', '{"instruction":"q","output":"a"}\n');
    const bytes = async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of zipBlobFolder(blobs, 'instructions/ids_1/processed/v1')) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    };
    expect((await bytes()).equals(await bytes())).toBe(true);
  });
});
