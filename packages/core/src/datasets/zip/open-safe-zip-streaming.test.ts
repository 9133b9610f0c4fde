import { deflateRawSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { ValidationError } from '../../errors.js';
import { type CraftEntry, craftZip, deflatedZeros, memoryBlobReader } from '../../../test/support/craft-zip.js';
import { drain, expectRejection } from '../../../test/support/expect-core-error.js';
import { openSafeZip } from './open-safe-zip.js';

const MiB = 1024 * 1024;
/** Largest piece one read of the stream can carry: a reader chunk (64 KiB) or an inflate chunk (16 KiB). */
const ONE_CHUNK = 64 * 1024;

/** Opens a one-entry ZIP (after a harmless first entry), streams the entry and returns what happened. */
async function streamEntry(entry: CraftEntry) {
  const reader = memoryBlobReader(craftZip([{ name: 'ok.txt', data: 'fine' }, entry]));
  const zip = await openSafeZip(reader);
  const info = zip.entries.find((e) => e.name === entry.name);
  if (!info) throw new Error(`entry ${entry.name} missing`);
  const started = performance.now();
  const result = await drain(await zip.openEntry(info));
  const ms = performance.now() - started;
  await zip.close();
  await new Promise((resolve) => setImmediate(resolve));
  expect(reader.stats.openStreams).toBe(0);
  return { ...result, ms, reader, error: result.error as ValidationError | undefined };
}

function expectEntryError(error: unknown, reason: string, entry: string): void {
  expect(error).toBeInstanceOf(ValidationError);
  expect((error as ValidationError).reason).toBe(reason);
  expect((error as ValidationError).message).toContain(`"${entry}"`);
}

describe('SafeZip.openEntry meters real bytes (A8, A10)', () => {
  test('declared 10 B, real 200 MB: fails after at most the declared bytes + one chunk', async () => {
    const compressed = deflatedZeros(200 * MiB);
    const result = await streamEntry({ name: 'liar.bin', compressed, uncompressedSize: 200 * MiB, declaredUncompressedSize: 10 });
    expectEntryError(result.error, 'size_mismatch', 'liar.bin');
    expect(result.bytes).toBeLessThanOrEqual(10 + ONE_CHUNK);
    expect(result.ms).toBeLessThan(1000);
  });

  test('declared 10 B, real 10 GiB: reads a few chunks of the 10 MB of deflate data, not all of it', async () => {
    const compressed = deflatedZeros(10 * 1024 * MiB);
    const result = await streamEntry({ name: 'liar.bin', compressed, uncompressedSize: 0, declaredUncompressedSize: 10 });
    expectEntryError(result.error, 'size_mismatch', 'liar.bin');
    expect(result.bytes).toBeLessThanOrEqual(10 + ONE_CHUNK);
    expect(result.reader.stats.bytesServed).toBeLessThan(MiB);
  });

  test('declared 1 MiB (ratio-exempt), real 200 MB: stops at the declared size', async () => {
    const result = await streamEntry({ name: 'zeros.bin', compressed: deflatedZeros(200 * MiB), uncompressedSize: 200 * MiB, declaredUncompressedSize: MiB });
    expectEntryError(result.error, 'size_mismatch', 'zeros.bin');
    expect(result.bytes).toBeLessThanOrEqual(MiB + ONE_CHUNK);
  });

  test('fewer bytes than declared → size_mismatch at the end', async () => {
    const result = await streamEntry({ name: 'short.txt', data: 'x'.repeat(1000), declaredUncompressedSize: 2000 });
    expectEntryError(result.error, 'size_mismatch', 'short.txt');
    expect(result.bytes).toBe(1000);
  });

  test('a wrong CRC-32 → crc_mismatch', async () => {
    const result = await streamEntry({ name: 'crc.txt', data: 'hello', crc32: 12345 });
    expectEntryError(result.error, 'crc_mismatch', 'crc.txt');
  });

  test('deflate data that is not deflate → invalid_zip naming the entry', async () => {
    const result = await streamEntry({ name: 'garbage.txt', compressed: Buffer.alloc(64, 0xff), uncompressedSize: 100 });
    expectEntryError(result.error, 'invalid_zip', 'garbage.txt');
  });

  test('truncated deflate data fails instead of ending quietly', async () => {
    const data = Buffer.from('0123456789'.repeat(5000));
    const full = deflateRawSync(data);
    const result = await streamEntry({ name: 'cut.txt', compressed: full.subarray(0, full.length >> 1), uncompressedSize: data.length });
    expect(result.error).toBeInstanceOf(ValidationError);
    expect((result.error as ValidationError).message).toContain('"cut.txt"');
  });

  test('an empty deflate entry with no data bytes at all reads as empty', async () => {
    const result = await streamEntry({ name: 'empty.txt', compressed: Buffer.alloc(0), uncompressedSize: 0 });
    expect(result.error).toBeUndefined();
    expect(result.bytes).toBe(0);
  });

  test('readEntry rejects with the stream error', async () => {
    const reader = memoryBlobReader(craftZip([{ name: 'liar.bin', compressed: deflatedZeros(8 * MiB), uncompressedSize: 8 * MiB, declaredUncompressedSize: 100 }]));
    const zip = await openSafeZip(reader);
    await expectRejection(zip.readEntry(zip.entries[0]!, 1000), { type: ValidationError, reason: 'size_mismatch', entry: 'liar.bin' });
    await zip.close();
  });
});

describe('SafeZip.openEntry checks the local header', () => {
  test('a local header naming another file → invalid_zip', async () => {
    const reader = memoryBlobReader(craftZip([{ name: 'labels/a.txt', localName: '../../../a.txt', data: 'x' }]));
    const zip = await openSafeZip(reader);
    const error = await expectRejection(zip.openEntry(zip.entries[0]!), { type: ValidationError, reason: 'invalid_zip', entry: 'labels/a.txt' });
    expect(error.message).toContain('local header');
    await zip.close();
    expect(reader.stats.openStreams).toBe(0);
  });
});
