import { crc32, deflateRawSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { craftZip, memoryBlobReader, zipBytes } from '../../../test/support/craft-zip.js';
import { drain, expectRejection } from '../../../test/support/expect-core-error.js';
import { TooLargeError, ValidationError } from '../../errors.js';
import { openSafeZip } from './open-safe-zip.js';

async function readFirst(zip: Buffer, limits = {}) {
  const safe = await openSafeZip(memoryBlobReader(zip), limits);
  try {
    return await safe.readEntry(safe.entries[0]!, 64 << 20);
  } finally {
    await safe.close();
  }
}

describe('SafeZip.readEntry (buffered fast path)', () => {
  test('returns the same bytes as the streaming path', async () => {
    const files = { 'a.txt': 'hello '.repeat(5000), 'b.bin': Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7919) % 256)) };
    const safe = await openSafeZip(memoryBlobReader(zipBytes(files)));
    for (const entry of safe.entries) {
      const buffered = await safe.readEntry(entry, 1 << 20);
      expect(buffered.equals((await drain(await safe.openEntry(entry))).data)).toBe(true);
    }
    await safe.close();
  });

  test.each([
    { name: 'real bytes over the declared size', entry: { name: 'lie.txt', data: 'x'.repeat(50_000), declaredUncompressedSize: 10 }, reason: 'size_mismatch' },
    { name: 'real bytes under the declared size', entry: { name: 'short.txt', data: 'abc', declaredUncompressedSize: 300 }, reason: 'size_mismatch' },
    { name: 'a wrong CRC-32', entry: { name: 'crc.txt', data: 'payload', crc32: 1234 }, reason: 'crc_mismatch' },
    { name: 'corrupt deflate data', entry: { name: 'bad.txt', method: 8, compressed: Buffer.from([0xff, 0xff, 0xff, 0xff]), uncompressedSize: 10 }, reason: 'invalid_zip' },
    { name: 'a local header naming another file', entry: { name: 'central.txt', localName: 'centrax.txt', data: 'x' }, reason: 'invalid_zip' },
  ])('rejects $name, naming the entry', async ({ entry, reason }) => {
    const error = await expectRejection(readFirst(craftZip([entry])), { type: ValidationError, reason });
    expect(error.message).toContain(entry.name);
  });

  test('stops a ratio bomb without producing more than the declared bytes', async () => {
    const plain = Buffer.alloc(8 << 20);
    const zip = craftZip([{ name: 'bomb.bin', method: 8, compressed: deflateRawSync(plain), uncompressedSize: plain.length, crc32: crc32(plain) }]);
    expect((await readFirst(zip, { maxRatio: 10_000 })).length).toBe(plain.length);
    await expectRejection(readFirst(zip, { maxRatio: 100 }), { type: ValidationError, reason: 'zip_bomb' });
  });

  test('counts bytes against the archive total', async () => {
    const zip = zipBytes({ 'a.txt': 'a'.repeat(3000) });
    await expectRejection(readFirst(zip, { maxTotalBytes: 2000, maxRatio: 1000 }), { type: TooLargeError, reason: 'expanded_size_limit' });
  });
});
