import type { Readable } from 'node:stream';
import yauzl from 'yauzl';

/*
 * The parts of yauzl 3.4 that @types/yauzl (written for 2.10) does not describe. We open archives with
 * `decodeStrings: false` so that yauzl never rewrites `\` to `/` or rejects a name before we can name it.
 */

/** A central-directory record as yauzl 3.4 yields it with `decodeStrings: false`. */
export interface RawEntry extends yauzl.Entry {
  fileNameRaw: Buffer;
}

/** What `readLocalFileHeader` reports about one local file header. */
export interface LocalFileHeader {
  fileDataStart: number;
  compressionMethod: number;
  generalPurposeBitFlag: number;
  fileName: Buffer;
}

/** A yauzl 3.4 `ZipFile` with the members we use that the typings leave out or mistype. */
export interface RawZipFile extends Omit<yauzl.ZipFile, 'readEntryCursor'> {
  readEntryCursor: number;
  readLocalFileHeader(entry: RawEntry, options: { minimal: boolean }, callback: (err: Error | null, header: LocalFileHeader) => void): void;
  openReadStreamLowLevel(
    fileDataStart: number, compressedSize: number, relativeStart: number, relativeEnd: number,
    decompress: boolean, uncompressedSize: number, callback: (err: Error | null, stream: Readable) => void,
  ): void;
}

type GetFileName = (flags: number, raw: Buffer, extraFields: { id: number; data: Buffer }[], strict: boolean) => string;

/** Decodes an entry name as yauzl would (UTF-8 flag, Info-ZIP Unicode path field, else CP437), keeping backslashes. */
export function decodeEntryName(flags: number, raw: Buffer, extraFields: { id: number; data: Buffer }[] = []): string {
  const getFileNameLowLevel = (yauzl as unknown as { getFileNameLowLevel: GetFileName }).getFileNameLowLevel;
  return getFileNameLowLevel(flags, raw, extraFields, true);
}

/** Opens a ZIP through `reader` with the options every safe read uses. */
export function openRawZipFile(reader: yauzl.RandomAccessReader, size: number): Promise<RawZipFile> {
  const options = { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: false };
  return new Promise((resolve, reject) => {
    try {
      yauzl.fromRandomAccessReader(reader, size, options, (err, zipfile) => {
        if (err) reject(err);
        else resolve(zipfile as unknown as RawZipFile);
      });
    } catch (error) {
      reject(error);
    }
  });
}
