import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { TooLargeError, ValidationError } from '../../errors.js';
import { drain } from '../../../test/support/expect-core-error.js';
import { createEntryByteMeter, type EntryByteMeterOptions } from './entry-byte-meter.js';

const MiB = 1024 * 1024;
const limits = { maxEntryBytes: 10 * MiB, maxRatio: 200, maxTotalBytes: 100 * MiB };

function meter(chunks: Buffer[], overrides: Partial<EntryByteMeterOptions> = {}) {
  const data = Buffer.concat(chunks);
  const options: EntryByteMeterOptions = {
    name: 'e.bin', declaredBytes: data.length, compressedBytes: data.length, crc32: crc32(data), limits, total: { bytes: 0 }, ...overrides,
  };
  return drain(Readable.from(chunks).pipe(createEntryByteMeter(options)));
}

describe('createEntryByteMeter', () => {
  test('passes bytes through unchanged when everything matches', async () => {
    const chunks = [Buffer.from('hello '), Buffer.from('world')];
    const result = await meter(chunks);
    expect(result.error).toBeUndefined();
    expect(result.data.toString()).toBe('hello world');
  });

  test.each([
    ['more than declared', { declaredBytes: 5 }, ValidationError, 'size_mismatch', 0],
    ['past maxEntryBytes', { declaredBytes: Infinity, limits: { ...limits, maxEntryBytes: MiB + 5 } }, TooLargeError, 'expanded_size_limit', MiB],
    ['past the ratio cap', { declaredBytes: Infinity, compressedBytes: 6000 }, ValidationError, 'zip_bomb', MiB],
    ['past the archive total', { declaredBytes: Infinity, total: { bytes: 100 * MiB - 10 } }, TooLargeError, 'expanded_size_limit', 0],
  ] as const)('fails %s, naming the entry, before passing the chunk on', async (_label, overrides, type, reason, before) => {
    const result = await meter([Buffer.alloc(MiB), Buffer.alloc(MiB)], overrides);
    expect(result.error).toBeInstanceOf(type);
    expect((result.error as ValidationError).reason).toBe(reason);
    expect((result.error as ValidationError).message).toContain('"e.bin"');
    expect(result.bytes).toBe(before);
  });

  test('counts every entry of an archive against one shared total', async () => {
    const total = { bytes: 0 };
    const small = { ...limits, maxTotalBytes: 150 };
    expect((await meter([Buffer.alloc(100)], { total, limits: small })).error).toBeUndefined();
    const second = await meter([Buffer.alloc(100)], { total, limits: small, name: 'second.bin' });
    expect((second.error as TooLargeError).reason).toBe('expanded_size_limit');
    expect((second.error as TooLargeError).message).toContain('"second.bin"');
  });

  test('fails a short stream and a CRC mismatch at the end', async () => {
    expect(((await meter([Buffer.from('abc')], { declaredBytes: 4 })).error as ValidationError).reason).toBe('size_mismatch');
    expect(((await meter([Buffer.from('abc')], { crc32: 1 })).error as ValidationError).reason).toBe('crc_mismatch');
  });
});
