import busboy from 'busboy';
import { Readable } from 'node:stream';

/** One file the fake server received on the weights route. */
export interface Upload {
  taskId: string;
  field: string;
  filename: string;
  bytes: Buffer;
}

/** Every file part of a multipart/form-data body, in order (parsed with busboy, as the real server does). */
export function parseUploads(contentType: string, raw: Buffer): Promise<Array<Omit<Upload, 'taskId'>>> {
  return new Promise((resolve, reject) => {
    const files: Array<Omit<Upload, 'taskId'>> = [];
    const bb = busboy({ headers: { 'content-type': contentType } });
    bb.on('file', (field, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => files.push({ field, filename: info.filename ?? '', bytes: Buffer.concat(chunks) }));
    });
    bb.on('error', reject);
    bb.on('close', () => resolve(files));
    Readable.from([raw]).pipe(bb);
  });
}
