import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { BlobStore } from '../storage/blob-store.port.js';

const FLUSH_CHARS = 64 * 1024;

/** Appends text lines to one blob through a buffered stream that respects backpressure. */
export interface LineWriter {
  write(line: string): Promise<void>;
  /** Flushes and waits until the blob is written; returns its size in bytes. */
  close(): Promise<number>;
  abort(error: Error): Promise<void>;
}

/**
 * Opens a staging write of `key` (`durable: false`: the folder is fsynced when it is published).
 * @example const out = createLineWriter(blobs, 'x/.staging-1/train.jsonl'); await out.write('{}\n'); await out.close();
 */
export function createLineWriter(blobs: BlobStore, key: string): LineWriter {
  const stream = new PassThrough();
  // The blob store may not be reading yet when a failure destroys the stream; its error must not go unheard.
  stream.on('error', () => {});
  const written = blobs.write(key, stream, { durable: false });
  let failure: unknown;
  written.catch((error: unknown) => {
    failure = error;
    stream.destroy();
  });
  let buffer = '';
  const flush = async () => {
    if (failure !== undefined) throw failure;
    if (buffer === '') return;
    const chunk = buffer;
    buffer = '';
    if (!stream.write(chunk)) await Promise.race([once(stream, 'drain'), written.then(() => undefined)]);
    if (failure !== undefined) throw failure;
  };
  return {
    async write(line) {
      buffer += line;
      if (buffer.length >= FLUSH_CHARS) await flush();
    },
    async close() {
      await flush();
      stream.end();
      return (await written).size;
    },
    async abort(error) {
      stream.destroy(error);
      await written.catch(() => undefined);
    },
  };
}
