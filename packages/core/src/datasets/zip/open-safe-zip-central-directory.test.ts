import { deflateRawSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { type CoreError, TooLargeError, UnsupportedError, ValidationError } from '../../errors.js';
import { type CraftEntry, craftZip, deflatedZeros, manyEmptyEntriesZip, memoryBlobReader, zipBytes } from '../../../test/support/craft-zip.js';
import { expectRejection, type ExpectedRejection } from '../../../test/support/expect-core-error.js';
import { openSafeZip } from './open-safe-zip.js';
import { quoteEntryName } from './zip-errors.js';
import type { ZipLimits } from './zip-limits.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** Opens `buf` expecting a rejection; checks it names `want.entry` (escaped as messages show it) and leaks no stream. */
async function rejectsOpen(buf: Buffer, want: ExpectedRejection, limits?: Partial<ZipLimits>): Promise<CoreError> {
  const reader = memoryBlobReader(buf);
  const { entry, ...rest } = want;
  const error = await expectRejection(openSafeZip(reader, limits), rest);
  if (entry !== undefined) {
    expect(error.message).toContain(quoteEntryName(entry));
    expect(error.details.entry).toBe(entry);
  }
  await new Promise((resolve) => setImmediate(resolve));
  expect(reader.stats.openStreams).toBe(0);
  return error;
}

const entriesNamed = (...names: string[]): CraftEntry[] =>
  names.map((name) => (name.endsWith('/') ? { name, directory: true } : { name, data: name }));

describe('openSafeZip refuses unsafe names (A1–A4, A11)', () => {
  test.each([
    '../../../../tmp/pwn.txt', '/etc/cron.d/x', '/tmp/pwn.txt', 'C:\\x', 'C:/x', '//server/share/x',
    '..\\..\\x', 'images\\..\\..\\x', 'images/..\\..\\x', '%2e%2e/x', '%252e%252e/x', 'a%00.jpg', 'a\u0000.jpg',
    'images/./../../x', 'file.', 'file ', '\uff0e\uff0e\uff0fx', 'a//b', 'a'.repeat(4096), `${'a/'.repeat(499)}b`,
    '__MACOSX/../../x',
  ])('%j → unsafe_path', async (name) => {
    await rejectsOpen(craftZip([{ name: 'ok.txt', data: 'ok' }, { name, data: 'x' }]), { type: ValidationError, reason: 'unsafe_path', entry: name });
  });

  test('judges a CP437 name with its backslash intact', async () => {
    const buf = craftZip([{ name: 'ignored', nameBytes: Buffer.from('..\\evil.txt', 'latin1'), data: 'x' }]);
    await rejectsOpen(buf, { type: ValidationError, reason: 'unsafe_path', entry: '..\\evil.txt' });
  });

  test('applies maxNameLength and maxDepth from the limits', async () => {
    await rejectsOpen(zipBytes({ 'abcdef.txt': 'x' }), { type: ValidationError, reason: 'unsafe_path', entry: 'abcdef.txt' }, { maxNameLength: 8 });
    await rejectsOpen(zipBytes({ 'a/b/c.txt': 'x' }), { type: ValidationError, reason: 'unsafe_path', entry: 'a/b/c.txt' }, { maxDepth: 2 });
  });
});

describe('openSafeZip refuses links and duplicates (A5, A6)', () => {
  test('a symlink entry labels -> /etc followed by labels/passwd', async () => {
    const buf = craftZip([{ name: 'labels', data: '/etc', method: 0, unixMode: 0o120777 }, { name: 'labels/passwd', data: 'root:x:0:0' }]);
    await rejectsOpen(buf, { type: ValidationError, reason: 'link_entry', entry: 'labels' });
  });

  test.each([
    [['a.txt', 'a.txt'], 'a.txt'],
    [['img/a.jpg', 'IMG/A.JPG'], 'IMG/A.JPG'],
    [['caf\u00e9.txt', 'cafe\u0301.txt'], 'cafe\u0301.txt'],
    [['a', 'a/'], 'a/'],
    [['a/', 'a'], 'a'],
    [['a/', 'A/'], 'A/'],
    [['a', 'a/b.txt'], 'a'],
    [['x/a/b.txt', 'x/A'], 'x/A'],
  ])('%j → duplicate_entry naming %j', async (names, entry) => {
    await rejectsOpen(craftZip(entriesNamed(...names)), { type: ValidationError, reason: 'duplicate_entry', entry });
  });

  test('allows a folder entry listed after files inside it', async () => {
    const reader = memoryBlobReader(craftZip(entriesNamed('a/b.txt', 'a/', 'A/c.txt')));
    const zip = await openSafeZip(reader);
    expect(zip.entries.map((e) => e.name)).toEqual(['a/b.txt', 'a/', 'A/c.txt']);
    await zip.close();
  });
});

describe('openSafeZip caps entries and sizes (A8, A11, A13)', () => {
  test('1 000 000 empty entries fail with too_many_entries in well under 2 s', async () => {
    const buf = manyEmptyEntriesZip(1_000_000);
    const started = performance.now();
    await rejectsOpen(buf, { type: ValidationError, reason: 'too_many_entries', message: '100000' });
    expect(performance.now() - started).toBeLessThan(2000);
  });

  test('100 001 directories fail with too_many_entries', async () => {
    await rejectsOpen(manyEmptyEntriesZip(100_001, { directories: true }), { type: ValidationError, reason: 'too_many_entries' });
  });

  test('honours a lower maxEntries', async () => {
    await rejectsOpen(zipBytes({ a: '1', b: '2', c: '3', d: '4' }), { type: ValidationError, reason: 'too_many_entries' }, { maxEntries: 3 });
  });

  test('an end record that under-counts the central directory is refused', async () => {
    const error = await rejectsOpen(manyEmptyEntriesZip(10, { declaredEntryCount: 3 }), { type: ValidationError, reason: 'invalid_zip' });
    expect(error.message).toContain('holds more');
  });

  test('a declared size over maxEntryBytes (Zip64, 5 GiB) → expanded_size_limit', async () => {
    const buf = craftZip([{ name: 'huge.bin', data: 'x', declaredUncompressedSize: 5 * GiB }]);
    await rejectsOpen(buf, { type: TooLargeError, reason: 'expanded_size_limit', entry: 'huge.bin' });
  });

  test('10 GiB of zeros in a 10 MB ZIP → expanded_size_limit before anything is inflated', async () => {
    const buf = craftZip([{ name: 'zeros.bin', compressed: deflatedZeros(10 * GiB), uncompressedSize: 10 * GiB }]);
    await rejectsOpen(buf, { type: TooLargeError, reason: 'expanded_size_limit', entry: 'zeros.bin' });
  });

  test('the running declared total over maxTotalBytes names the entry that passed it', async () => {
    const buf = zipBytes({ 'a.bin': Buffer.alloc(1000, 1), 'b.bin': Buffer.alloc(1000, 2) });
    await rejectsOpen(buf, { type: TooLargeError, reason: 'expanded_size_limit', entry: 'b.bin' }, { maxTotalBytes: 1500 });
  });

  test('200 MB of zeros in a ~200 KB ZIP → zip_bomb from the declared ratio', async () => {
    const compressed = deflatedZeros(200 * MiB);
    expect(compressed.length).toBeLessThan(256 * 1024);
    const buf = craftZip([{ name: 'labels/zeros.txt', compressed, uncompressedSize: 200 * MiB }]);
    await rejectsOpen(buf, { type: ValidationError, reason: 'zip_bomb', entry: 'labels/zeros.txt' });
  });

  test('many ratio-exempt 1 MiB entries → zip_bomb for the archive as a whole', async () => {
    const compressed = deflatedZeros(MiB);
    const buf = craftZip(['a', 'b', 'c'].map((name) => ({ name, compressed, uncompressedSize: MiB })));
    await rejectsOpen(buf, { type: ValidationError, reason: 'zip_bomb', message: 'ZIP archive expands' });
  });

  test('a stored entry whose sizes disagree → size_mismatch', async () => {
    const buf = craftZip([{ name: 'a.txt', data: 'abc', method: 0, declaredUncompressedSize: 1000 }]);
    await rejectsOpen(buf, { type: ValidationError, reason: 'size_mismatch', entry: 'a.txt' });
  });
});

describe('openSafeZip refuses overlapping entries (A9)', () => {
  test('a zbsm-style kernel shared by 1000 central-directory records', async () => {
    const kernel = { name: 'kernel', compressed: deflatedZeros(MiB), uncompressedSize: MiB };
    const overlaps = Array.from({ length: 999 }, (_, i) => ({ index: 0, name: `copy${i}` }));
    await rejectsOpen(craftZip([kernel], { overlaps }), { type: ValidationError, reason: 'overlapping_entries', entry: 'kernel' });
  });

  test('an entry whose declared compressed size swallows the next local header (quoting)', async () => {
    const b = deflateRawSync('b');
    const buf = craftZip([
      { name: 'a', data: 'a', declaredCompressedSize: deflateRawSync('a').length + 30 + 1 + b.length },
      { name: 'b', data: 'b' },
    ]);
    await rejectsOpen(buf, { type: ValidationError, reason: 'overlapping_entries', entry: 'a', message: '"b"' });
  });

  test('an entry whose data runs into the central directory', async () => {
    const buf = craftZip([{ name: 'a', data: 'a' }, { name: 'b', data: 'b', declaredCompressedSize: 200 }]);
    await rejectsOpen(buf, { type: ValidationError, reason: 'overlapping_entries', entry: 'b', message: 'central directory' });
  });
});

describe('openSafeZip refuses what it cannot read (A13)', () => {
  test.each([
    ['traditional encryption', { encrypted: true }, 'encrypted_entry'],
    ['strong encryption', { flags: 0x41 }, 'encrypted_entry'],
    ['WinZip AES (method 99)', { method: 99 }, 'encrypted_entry'],
    ['bzip2 (method 12)', { method: 12 }, 'unsupported_compression'],
    ['LZMA (method 14)', { method: 14 }, 'unsupported_compression'],
  ] as const)('%s', async (_label, overrides, reason) => {
    const buf = craftZip([{ name: 'ok.txt', data: 'ok' }, { name: 'secret.txt', data: 'hidden', ...overrides }]);
    const error = await rejectsOpen(buf, { type: UnsupportedError, reason, entry: 'secret.txt' });
    if (reason === 'unsupported_compression') expect(error.message).toContain(`method ${String(overrides.method)}`);
  });

  const valid = zipBytes({ 'a.txt': 'a'.repeat(100), 'b.txt': 'b' });
  test.each([
    ['an empty file', Buffer.alloc(0)],
    ['a PNG renamed .zip', Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), Buffer.alloc(200)])],
    ['a ZIP cut in half', valid.subarray(0, valid.length >> 1)],
    ['a ZIP missing its last bytes', valid.subarray(0, valid.length - 5)],
    ['a central directory offset past the end', Buffer.concat([valid.subarray(0, valid.length - 6), Buffer.from([0xff, 0xff, 0xff, 0x00, 0, 0])])],
    ['a multi-disk archive', craftZip([{ name: 'a.txt', data: 'a' }], { diskNumber: 1 })],
  ])('%s → invalid_zip', async (_label, buf) => {
    await rejectsOpen(buf, { type: ValidationError, reason: 'invalid_zip', message: 'not a readable ZIP archive' });
  });
});
