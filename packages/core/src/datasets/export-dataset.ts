import type { Readable } from 'node:stream';
import yazl from 'yazl';
import type { BlobStore } from '../storage/blob-store.port.js';
import { renderDataYaml } from './data-yaml.js';
import type { DatasetImage, SplitName } from './dataset.schema.js';

export interface ExportOptions {
  blobs: BlobStore;
  /** Key of the version folder. */
  versionKey: string;
  images: readonly DatasetImage[];
  classes: readonly string[];
  withLabels: boolean;
}

/** yazl 3 API missing from @types/yazl (which describes v2). */
interface LazyZip {
  addReadStreamLazy(
    name: string,
    options: { mtime?: Date; compress?: boolean },
    open: (callback: (error: Error | null, stream: Readable) => void) => void,
  ): void;
}

const FIXED_MTIME = new Date('2000-01-01T00:00:00Z');
const COMPRESSED = /\.(txt|ya?ml|json|csv|bmp|tiff?)$/i;

/**
 * Streams a dataset version as a ZIP in the Ultralytics layout (`images/…`, `labels/…`, a portable
 * `data.yaml` without `path`), reading each file only when the ZIP writer reaches it.
 */
export async function exportDatasetZip(options: ExportOptions): Promise<Readable> {
  const { blobs, versionKey } = options;
  const zip = new yazl.ZipFile() as yazl.ZipFile & LazyZip;
  const output = zip.outputStream as Readable;
  // When the reader goes away (client abort), close the file being read and open no more.
  const open = new Set<Readable>();
  let abandoned = false;
  output.once('close', () => {
    abandoned = true;
    for (const stream of open) stream.destroy();
  });
  const add = (key: string) => {
    zip.addReadStreamLazy(key, { mtime: FIXED_MTIME, compress: COMPRESSED.test(key) }, (callback) => {
      blobs.read(`${versionKey}/${key}`).then(
        (stream) => {
          if (abandoned) return void stream.destroy();
          open.add(stream);
          stream.once('close', () => open.delete(stream));
          callback(null, stream);
        },
        (error: Error) => callback(error, undefined as never),
      );
    });
  };
  for (const image of options.images) add(image.path);
  if (options.withLabels) {
    const labelKeys = (await blobs.list(`${versionKey}/labels`)).map((k) => k.slice(versionKey.length + 1));
    for (const key of labelKeys) add(key);
  }
  const splits = (['train', 'val', 'test'] as SplitName[]).filter((s) => options.images.some((i) => i.split === s));
  zip.addBuffer(Buffer.from(renderDataYaml({ splits, names: options.classes })), 'data.yaml', { mtime: FIXED_MTIME });
  zip.end();
  return output;
}
