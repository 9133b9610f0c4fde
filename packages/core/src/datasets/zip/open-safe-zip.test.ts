import JSZip from 'jszip';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { fixturePath } from '../../../../../test/support/fixtures.js';
import { InvalidStateError, TooLargeError, ValidationError } from '../../errors.js';
import { craftZip, manyEmptyEntriesZip, memoryBlobReader, zipBytes } from '../../../test/support/craft-zip.js';
import { drain, expectRejection } from '../../../test/support/expect-core-error.js';
import { openSafeZip, type SafeZip } from './open-safe-zip.js';

const coco8 = fixturePath('datasets/coco8');

function fixtureFiles(root: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const relative of readdirSync(root, { recursive: true, encoding: 'utf8' }).sort()) {
    const full = path.join(root, relative);
    if (statSync(full).isFile()) files.set(relative.split(path.sep).join('/'), readFileSync(full));
  }
  return files;
}

async function jszipOf(files: Map<string, Buffer>, compression: 'DEFLATE' | 'STORE', streamFiles: boolean): Promise<Buffer> {
  const zip = new JSZip();
  for (const [name, data] of files) zip.file(name, data);
  return zip.generateAsync({ type: 'nodebuffer', compression, streamFiles });
}

async function withZip<T>(buf: Buffer, use: (zip: SafeZip) => Promise<T>): Promise<T> {
  const reader = memoryBlobReader(buf);
  const zip = await openSafeZip(reader);
  try {
    return await use(zip);
  } finally {
    await zip.close();
    await reader.close();
    expect(reader.stats.openStreams).toBe(0);
  }
}

describe('openSafeZip on valid archives', () => {
  test.each([
    ['DEFLATE', false],
    ['STORE', false],
    ['DEFLATE', true],
  ] as const)('lists and streams every file of coco8 zipped by JSZip (%s, data descriptors: %s)', async (compression, streamFiles) => {
    const files = fixtureFiles(coco8);
    expect(files.size).toBeGreaterThan(10);
    await withZip(await jszipOf(files, compression, streamFiles), async (zip) => {
      const fileEntries = zip.entries.filter((e) => !e.isDirectory);
      expect(fileEntries.map((e) => e.name).sort()).toEqual([...files.keys()].sort());
      expect(zip.entries.filter((e) => e.isDirectory).map((e) => e.name)).toContain('images/train/');
      for (const entry of fileEntries) {
        expect(entry.uncompressedSize).toBe(files.get(entry.name)?.length);
        const { data, error } = await drain(await zip.openEntry(entry));
        expect(error).toBeUndefined();
        expect(data.equals(files.get(entry.name) ?? Buffer.alloc(0))).toBe(true);
      }
    });
  });

  test('skips __MACOSX/, .DS_Store and Thumbs.db before the duplicate check', async () => {
    const buf = zipBytes({
      'images/a.jpg': 'a',
      '__MACOSX/': '',
      '__MACOSX/images/._a.jpg': 'apple double',
      '.DS_Store': 'x',
      'images/.DS_Store': 'x',
      'images/Thumbs.db': 'x',
      '__MACOSX/images/a.jpg': 'same name, different folder',
    });
    await withZip(buf, async (zip) => {
      expect(zip.entries.map((e) => e.name)).toEqual(['images/a.jpg']);
      expect(zip.skipped).toEqual(['__MACOSX/', '__MACOSX/images/._a.jpg', '.DS_Store', 'images/.DS_Store', 'images/Thumbs.db', '__MACOSX/images/a.jpg']);
    });
  });

  test('reads stored (method 0) and deflated entries, directories included', async () => {
    const buf = craftZip([
      { name: 'data', directory: true },
      { name: 'data/stored.txt', data: 'stored bytes', method: 0 },
      { name: 'data/deflated.txt', data: 'deflated '.repeat(1000) },
      { name: 'data/empty.txt', data: '', method: 0 },
    ]);
    await withZip(buf, async (zip) => {
      expect(zip.entries).toEqual([
        { name: 'data/', isDirectory: true, compressedSize: 0, uncompressedSize: 0 },
        { name: 'data/stored.txt', isDirectory: false, compressedSize: 12, uncompressedSize: 12 },
        expect.objectContaining({ name: 'data/deflated.txt', uncompressedSize: 9000 }),
        { name: 'data/empty.txt', isDirectory: false, compressedSize: 0, uncompressedSize: 0 },
      ]);
      const [, stored, deflated, empty] = zip.entries as [unknown, ...typeof zip.entries[number][]];
      expect((await zip.readEntry(stored!, 100)).toString()).toBe('stored bytes');
      expect((await zip.readEntry(deflated!, 9000)).toString()).toBe('deflated '.repeat(1000));
      expect((await zip.readEntry(empty!, 0)).length).toBe(0);
    });
  });

  test('decodes CP437 names when the UTF-8 flag is off', async () => {
    const buf = craftZip([{ name: 'ignored', nameBytes: Buffer.from([0x63, 0x61, 0x66, 0x82, 0x2e, 0x74, 0x78, 0x74]), data: 'x' }]);
    await withZip(buf, async (zip) => expect(zip.entries.map((e) => e.name)).toEqual(['café.txt']));
  });

  test('treats __proto__, constructor and nested ZIPs as plain entries (A12, A15)', async () => {
    const inner = zipBytes({ 'inner.txt': 'never extracted' });
    const names = ['__proto__', 'constructor', 'toString'];
    const buf = craftZip([...names.map((name) => ({ name, data: name })), { name: 'nested.zip', data: inner }]);
    await withZip(buf, async (zip) => {
      expect(zip.entries.map((e) => e.name)).toEqual(['__proto__', 'constructor', 'toString', 'nested.zip']);
      expect((await zip.readEntry(zip.entries[3]!, 1 << 20)).equals(inner)).toBe(true);
      expect(({} as Record<string, unknown>).admin).toBeUndefined();
    });
  });

  test('accepts exactly maxEntries entries, and 100 000 empty files with the defaults', async () => {
    const reader = memoryBlobReader(zipBytes({ a: '1', b: '2', c: '3' }));
    await (await openSafeZip(reader, { maxEntries: 3 })).close();
    await withZip(manyEmptyEntriesZip(100_000), async (zip) => expect(zip.entries).toHaveLength(100_000));
  });

  test('opens an empty archive', async () => {
    await withZip(craftZip([]), async (zip) => expect(zip.entries).toEqual([]));
  });
});

describe('SafeZip entry access', () => {
  const buf = zipBytes({ 'dir/': '', 'dir/a.txt': 'a'.repeat(100), 'b.txt': 'b'.repeat(200_000) });

  test('readEntry refuses an entry larger than maxBytes before reading it', async () => {
    await withZip(buf, async (zip) => {
      const b = zip.entries.find((e) => e.name === 'b.txt')!;
      await expectRejection(zip.readEntry(b, 1000), { type: TooLargeError, reason: 'entry_too_large', entry: 'b.txt' });
    });
  });

  test('refuses a directory and an entry from elsewhere', async () => {
    await withZip(buf, async (zip) => {
      await expectRejection(zip.openEntry(zip.entries[0]!), { type: ValidationError, reason: 'not_a_file', entry: 'dir/' });
      const stranger = { name: 'nope.txt', isDirectory: false, compressedSize: 1, uncompressedSize: 1 };
      await expectRejection(zip.openEntry(stranger), { type: ValidationError, reason: 'unknown_entry', entry: 'nope.txt' });
    });
  });

  test('streams two entries at once and the same entry twice', async () => {
    await withZip(buf, async (zip) => {
      const [a, b] = [zip.entries[1]!, zip.entries[2]!];
      const results = await Promise.all([a, b, a].map(async (e) => (await drain(await zip.openEntry(e))).data.length));
      expect(results).toEqual([100, 200_000, 100]);
    });
  });

  test('close() destroys streams still open and later calls fail', async () => {
    const reader = memoryBlobReader(buf, { chunkSize: 1024 });
    const zip = await openSafeZip(reader);
    const b = zip.entries.find((e) => e.name === 'b.txt')!;
    const stream = await zip.openEntry(b);
    await new Promise((resolve) => stream.once('readable', resolve));
    await zip.close();
    expect(stream.destroyed).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(reader.stats.openStreams).toBe(0);
    await expect(zip.openEntry(b)).rejects.toBeInstanceOf(InvalidStateError);
    await zip.close(); // idempotent
  });
});
