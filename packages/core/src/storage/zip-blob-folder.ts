import type { Readable } from 'node:stream';
import yazl from 'yazl';
import type { BlobStore } from './blob-store.port.js';

const FIXED_MTIME = new Date('2000-01-01T00:00:00Z');
/** Already compressed, or too large to be worth it: stored as they are. */
const STORED = /\.(?:safetensors|bin|pt|pth|gguf|onnx|zip|gz)$/i;

/**
 * Streams every blob under `prefix` as a ZIP, named relative to it (`checkpoint-200/adapter_model.safetensors` →
 * `adapter_model.safetensors`): a fine-tune's processed dataset folder or checkpoint for a remote worker. The
 * blobs are read one after the other, never buffered; a read failure destroys the stream.
 * @example res.setHeader('content-type', 'application/zip'); zipBlobFolder(blobs, 'jobs/job_1/run/checkpoint-200').pipe(res);
 */
export function zipBlobFolder(blobs: BlobStore, prefix: string): Readable {
  if (prefix === '' || prefix.endsWith('/')) throw new TypeError(`zipBlobFolder needs a folder key (got ${JSON.stringify(prefix)})`);
  const zip = new yazl.ZipFile();
  const output = zip.outputStream as Readable;
  void (async () => {
    try {
      for (const key of await blobs.list(prefix)) {
        const name = key.slice(prefix.length + 1);
        zip.addReadStream(await blobs.read(key), name, { mtime: FIXED_MTIME, compress: !STORED.test(name) });
      }
      zip.end();
    } catch (error) {
      output.destroy(error as Error);
    }
  })();
  return output;
}
