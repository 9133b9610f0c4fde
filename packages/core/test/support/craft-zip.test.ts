import JSZip from 'jszip';
import { inflateRawSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { craftZip, deflatedZeros, manyEmptyEntriesZip, memoryBlobReader, zipBytes } from './craft-zip.js';
import { drain } from './expect-core-error.js';

describe('craftZip', () => {
  test('writes archives another reader (JSZip) accepts, stored and deflated', async () => {
    const buf = craftZip([
      { name: 'a.txt', data: 'hello', method: 0 },
      { name: 'dir', directory: true },
      { name: 'dir/b.bin', data: Buffer.alloc(5000, 7) },
    ]);
    const zip = await JSZip.loadAsync(buf);
    expect(Object.keys(zip.files)).toEqual(['a.txt', 'dir/', 'dir/b.bin']);
    expect(await zip.file('a.txt')?.async('string')).toBe('hello');
    expect(await zip.file('dir/b.bin')?.async('nodebuffer')).toEqual(Buffer.alloc(5000, 7));
  });

  test('zipBytes makes a directory of a name ending in "/"', async () => {
    const zip = await JSZip.loadAsync(zipBytes({ 'x/': '', 'x/y.txt': 'y' }));
    expect(zip.files['x/']?.dir).toBe(true);
    expect(await zip.file('x/y.txt')?.async('string')).toBe('y');
  });

  test('deflatedZeros inflates to exactly the asked number of zero bytes', () => {
    const size = 3 * 1024 * 1024 + 17;
    const out = inflateRawSync(deflatedZeros(size));
    expect(out.length).toBe(size);
    expect(out.every((b) => b === 0)).toBe(true);
  });

  test('manyEmptyEntriesZip lists every entry', async () => {
    const zip = await JSZip.loadAsync(manyEmptyEntriesZip(40, { directories: true }));
    expect(Object.keys(zip.files)).toHaveLength(40);
    expect(zip.files['z/']?.dir).toBe(true);
  });
});

describe('memoryBlobReader', () => {
  test('serves ranges lazily and counts open streams', async () => {
    const reader = memoryBlobReader(Buffer.from('0123456789'), { chunkSize: 3 });
    const stream = reader.createReadStream(2, 9);
    expect(reader.stats.openStreams).toBe(1);
    expect((await drain(stream)).data.toString()).toBe('2345678');
    expect(reader.stats.openStreams).toBe(0);
    expect(reader.stats.bytesServed).toBe(7);
    expect(() => reader.createReadStream(5, 11)).toThrow(RangeError);
  });
});
