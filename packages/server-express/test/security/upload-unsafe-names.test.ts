import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { craftZip } from '../../../core/test/support/craft-zip.js';
import { Harness } from './harness.js';
import { smallJpeg } from './payloads.js';

/** A ZIP with one good image and one hostile entry after it, so only the name can be the problem. */
const zipWith = (name: string) => craftZip([{ name: 'images/train/a.jpg', data: smallJpeg() }, { name, data: 'pwned' }]);

/** How a name shows in a message: control characters as \uXXXX, quoted. */
const shown = (name: string) => `"${name.replace(/[\u0000-\u001f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;

let h: Harness;
beforeAll(async () => {
  h = await Harness.start();
});
afterAll(async () => h.close());

describe('POST /datasets/upload', () => {
  test.each([
    ['../../../../tmp/pwn.txt', 'A1 parent traversal'],
    ['/etc/cron.d/x', 'A2 absolute POSIX path'],
    ['C:\\x', 'A2 drive letter and backslash'],
    ['C:/x', 'A2 drive letter and slash'],
    ['//server/share/x', 'A2 UNC path'],
    ['..\\..\\x', 'A3 backslash traversal'],
    ['images\\..\\..\\x', 'A3 backslash traversal inside a folder'],
    ['images/..\\..\\x', 'A3 mixed separators'],
    ['%2e%2e/x', 'A4 percent-encoded dots'],
    ['%252e%252e/x', 'A4 double-encoded dots'],
    ['a%00.jpg', 'A4 percent-encoded NUL'],
    ['images/a\u0000.jpg', 'A4 NUL byte'],
    ['images/./../../x', 'A4 dot then dot-dot'],
    ['images/train/b.jpg.', 'A4 trailing dot'],
    ['images/train/b.jpg ', 'A4 trailing space'],
    ['\uff0e\uff0e\uff0fx', 'A4 fullwidth ．．／'],
  ])('rejects an entry %j (%s) with 400 unsafe_path', async (name) => {
    await h.expectUploadRejected(zipWith(name), { status: 400, code: 'unsafe_path', detail: shown(name) }, { absent: ['/tmp/pwn.txt'] });
  });

  test('rejects a 4096-character entry name with 400 unsafe_path, naming its length', async () => {
    const name = `images/${'a'.repeat(4089)}`;
    const error = await h.expectUploadRejected(zipWith(name), { status: 400, code: 'unsafe_path', detail: '4096-byte name' });
    expect(error.detail).toContain(`"images/aaaa`);
    expect(error.detail.length).toBeLessThan(1000); // the name is cut, not echoed whole
  });

  test('rejects an entry nested 500 folders deep with 400 unsafe_path', async () => {
    const name = `${'d/'.repeat(499)}x.jpg`;
    await h.expectUploadRejected(zipWith(name), { status: 400, code: 'unsafe_path', detail: '500 levels deep' });
  });

  test('judges a CP437 (non-UTF-8) name with its backslash intact', async () => {
    const zip = craftZip([{ name: 'images/a.jpg', data: smallJpeg() }, { name: 'ignored', nameBytes: Buffer.from('..\\evil.txt', 'latin1'), data: 'x' }]);
    await h.expectUploadRejected(zip, { status: 400, code: 'unsafe_path', detail: '"..\\evil.txt"' });
  });
});

describe('POST /datasets/{dataset_id}/prepare', () => {
  test('rejects an entry whose local header names a different file with 400 invalid_zip, writing neither name', async () => {
    const zip = craftZip([{ name: 'images/train/a.jpg', data: smallJpeg() }, { name: 'images/train/b.jpg', localName: '../../../../tmp/pwn.txt', data: smallJpeg() }]);
    const id = await h.upload(zip);
    const error = await h.expectPrepareRejected(id, { status: 400, code: 'invalid_zip', detail: '"images/train/b.jpg"' });
    expect(error.detail).toContain('local header names a different file');
  });
});
