import * as fsp from 'node:fs/promises';
import type { RangeReader } from '../../generation/gguf/range-reader.js';

/** A {@link RangeReader} over a local file through one file handle; `close()` releases it. */
export async function openFileRangeReader(file: string): Promise<RangeReader & { close(): Promise<void> }> {
  const handle = await fsp.open(file, 'r');
  try {
    const { size } = await handle.stat();
    return {
      size,
      async read(offset, length) {
        const n = Math.max(0, Math.min(length, size - offset));
        const buffer = Buffer.alloc(n);
        let done = 0;
        while (done < n) {
          const { bytesRead } = await handle.read(buffer, done, n - done, offset + done);
          if (bytesRead === 0) break;
          done += bytesRead;
        }
        return buffer.subarray(0, done);
      },
      close: () => handle.close(),
    };
  } catch (error) {
    await handle.close();
    throw error;
  }
}
