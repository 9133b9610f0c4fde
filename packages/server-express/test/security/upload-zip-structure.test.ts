import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { craftZip, deflatedZeros, manyEmptyEntriesZip } from '../../../core/test/support/craft-zip.js';
import { Harness } from './harness.js';
import { coco8Zip, MiB, pngBytes, smallJpeg } from './payloads.js';

const GiB = 1024 * MiB;
const jpeg = smallJpeg();
const image = (name: string) => ({ name, data: jpeg });

/** An entry of `bytes` zeros stored as a deflate stream of about bytes/1000. */
const zeros = (name: string, bytes: number) => ({ name, compressed: deflatedZeros(bytes), uncompressedSize: bytes, crc32: crc32(Buffer.alloc(0)) });

let h: Harness;
beforeAll(async () => {
  h = await Harness.start();
});
afterAll(async () => h.close());

describe('POST /datasets/upload', () => {
  test('rejects a symlink entry "labels" -> /etc followed by "labels/passwd" with 400 link_entry (A5)', async () => {
    const zip = craftZip([image('images/a.jpg'), { name: 'labels', data: '/etc', method: 0, unixMode: 0o120777 }, { name: 'labels/passwd', data: 'root:x:0:0' }]);
    await h.expectUploadRejected(zip, { status: 400, code: 'link_entry', detail: '"labels" is a symbolic link' }, { absent: ['/etc/passwd.txt'] });
  });

  test('rejects an image that is a symlink to /etc/passwd with 400 link_entry (A5)', async () => {
    const zip = craftZip([image('images/a.jpg'), { name: 'images/b.jpg', data: '/etc/passwd', method: 0, unixMode: 0o120777 }]);
    await h.expectUploadRejected(zip, { status: 400, code: 'link_entry', detail: '"images/b.jpg"' });
  });

  test.each([
    [['images/a.jpg', 'images/a.jpg'], 'images/a.jpg', 'appears more than once', 'an exact duplicate'],
    [['images/a.jpg', 'images/A.JPG'], 'images/A.JPG', 'case', 'a case variant'],
    [['images/caf\u00e9.jpg', 'images/cafe\u0301.jpg'], 'images/cafe\u0301.jpg', 'Unicode normalisation', 'an NFC/NFD variant'],
    [['images', 'images/a.jpg'], 'images', 'uses it as a folder', 'a file where a folder is needed'],
  ])('rejects %j with 400 duplicate_entry naming %j (A6, %s %s)', async (names, entry, problem) => {
    const zip = craftZip(names.map(image));
    await h.expectUploadRejected(zip, { status: 400, code: 'duplicate_entry', detail: `"${entry}"` }).then((e) => expect(e.detail).toContain(problem));
  });

  test('rejects a 50 MB entry of zeros deflated to ~50 KB with 400 zip_bomb (A8)', async () => {
    const zip = craftZip([image('images/a.jpg'), zeros('images/bomb.jpg', 50 * MiB)]);
    expect(zip.length).toBeLessThan(200_000);
    const started = performance.now();
    await h.expectUploadRejected(zip, { status: 400, code: 'zip_bomb', detail: '"images/bomb.jpg"' });
    expect(performance.now() - started).toBeLessThan(5000);
  });

  test('rejects an entry declaring 10 GiB with 413 expanded_size_limit (A8, Zip64 over the cap)', async () => {
    const zip = craftZip([image('images/a.jpg'), { name: 'images/huge.jpg', data: 'x', declaredUncompressedSize: 10 * GiB }]);
    await h.expectUploadRejected(zip, { status: 413, code: 'expanded_size_limit', detail: '"images/huge.jpg"' });
  });

  test('rejects 60 entries of 1 MiB zeros (each under the per-entry ratio floor) with 400 zip_bomb for the archive (A8)', async () => {
    const zip = craftZip(Array.from({ length: 60 }, (_, i) => zeros(`images/z${i}.jpg`, MiB)));
    await h.expectUploadRejected(zip, { status: 400, code: 'zip_bomb', detail: /expands \d+ times/ });
  });

  test('rejects two records sharing one local header with 400 overlapping_entries (A9, Fifield)', async () => {
    const zip = craftZip([image('images/a.jpg')], { overlaps: [{ index: 0, name: 'images/b.jpg' }, { index: 0, name: 'images/c.jpg' }] });
    await h.expectUploadRejected(zip, { status: 400, code: 'overlapping_entries', detail: /"images\/[abc]\.jpg" overlaps/ });
  });

  test('rejects an entry whose compressed size swallows the next entry with 400 overlapping_entries (A9, spacer variant)', async () => {
    const zip = craftZip([{ ...image('images/a.jpg'), declaredCompressedSize: jpeg.length + 100 }, image('images/b.jpg')]);
    await h.expectUploadRejected(zip, { status: 400, code: 'overlapping_entries', detail: '"images/a.jpg" overlaps' });
  });

  test('rejects 1,000,000 empty entries with 400 too_many_entries quickly (A11)', async () => {
    const zip = manyEmptyEntriesZip(1_000_000);
    const started = performance.now();
    await h.expectUploadRejected(zip, { status: 400, code: 'too_many_entries', detail: '100000' });
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  test('rejects 100,001 directories with 400 too_many_entries (A11)', async () => {
    await h.expectUploadRejected(manyEmptyEntriesZip(100_001, { directories: true }), { status: 400, code: 'too_many_entries', detail: 'more than 100000 entries' });
  });

  test('rejects an end record that hides entries past its count with 400 invalid_zip (A11)', async () => {
    await h.expectUploadRejected(manyEmptyEntriesZip(10, { declaredEntryCount: 3 }), { status: 400, code: 'invalid_zip', detail: 'holds more' });
  });

  test('rejects a truncated ZIP with 400 invalid_zip (A13)', async () => {
    const whole = coco8Zip();
    await h.expectUploadRejected(whole.subarray(0, Math.floor(whole.length / 2)), { status: 400, code: 'invalid_zip', detail: 'not a readable ZIP' });
  });

  test('rejects a PNG renamed .zip with 400 invalid_zip (A13)', async () => {
    await h.expectUploadRejected(pngBytes(), { status: 400, code: 'invalid_zip', detail: 'not a readable ZIP' }, { filename: 'photo.zip' });
  });

  test('rejects a password-protected entry with 415 encrypted_entry (A13)', async () => {
    const zip = craftZip([image('images/a.jpg'), { ...image('images/secret.jpg'), encrypted: true }]);
    await h.expectUploadRejected(zip, { status: 415, code: 'encrypted_entry', detail: '"images/secret.jpg" is encrypted' });
  });

  test('rejects a strongly encrypted entry with 415 encrypted_entry (A13)', async () => {
    const zip = craftZip([image('images/a.jpg'), { ...image('images/secret.jpg'), flags: 0x41 }]);
    await h.expectUploadRejected(zip, { status: 415, code: 'encrypted_entry', detail: '"images/secret.jpg"' });
  });

  test.each([
    [12, 'bzip2'],
    [14, 'LZMA'],
    [93, 'zstd'],
  ])('rejects compression method %i (%s) with 415 unsupported_compression (A13)', async (method, label) => {
    const zip = craftZip([image('images/a.jpg'), { name: 'images/b.jpg', data: 'BZh91AY&SY', method }]);
    await h.expectUploadRejected(zip, { status: 415, code: 'unsupported_compression', detail: `"images/b.jpg" uses compression method ${method} (${label})` });
  });

  test('rejects a multi-disk archive with 400 invalid_zip (A13)', async () => {
    const zip = craftZip([image('images/a.jpg')], { diskNumber: 1 });
    await h.expectUploadRejected(zip, { status: 400, code: 'invalid_zip', detail: /multi-disk|disk/i });
  });
});
