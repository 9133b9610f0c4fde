import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { beforeEach, describe, expect, test } from 'vitest';
import type { BlobStore } from '../../../src/storage/blob-store.port.js';

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const UNSAFE_KEYS = ['', '..', '../x', 'a/../b', './a', '/abs', 'a//b', 'a/', 'a\\b', 'C:/x', 'a/\u0000b'];

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(parts);
}

function streamOf(chunks: Uint8Array[], failWith?: Error): Readable {
  return Readable.from(
    (async function* () {
      for (const chunk of chunks) {
        await new Promise((resolve) => setImmediate(resolve));
        yield chunk;
      }
      if (failWith !== undefined) throw failWith;
    })(),
    { objectMode: false },
  );
}

/**
 * Behaviour every `BlobStore` adapter must show; each test gets a fresh store from `factory`.
 * @example describeBlobStoreContract('memory', () => createMemoryBlobStore());
 */
export function describeBlobStoreContract(name: string, factory: () => Promise<BlobStore> | BlobStore): void {
  describe(`${name}: BlobStore contract`, () => {
    let store: BlobStore;
    beforeEach(async () => {
      store = await factory();
    });

    describe('write and read', () => {
      test('round-trips strings, bytes and streams and reports their size', async () => {
        await expect(store.write('s.txt', 'héllo')).resolves.toEqual({ size: 6 });
        await expect(store.write('b.bin', new Uint8Array([1, 2, 3]))).resolves.toEqual({ size: 3 });
        await expect(store.write('r.bin', streamOf([Buffer.from('ab'), Buffer.from('cd')]))).resolves.toEqual({ size: 4 });
        expect((await store.readBytes('s.txt')).toString('utf8')).toBe('héllo');
        expect([...(await store.readBytes('b.bin'))]).toEqual([1, 2, 3]);
        expect((await collect(await store.read('r.bin'))).toString()).toBe('abcd');
      });

      test('keeps all 256 byte values intact through bytes, streams and ranges', async () => {
        await store.write('bytes/a', ALL_BYTES);
        await store.write('bytes/b', streamOf([ALL_BYTES.subarray(0, 100), ALL_BYTES.subarray(100)]));
        expect((await store.readBytes('bytes/a')).equals(ALL_BYTES)).toBe(true);
        expect((await collect(await store.read('bytes/b'))).equals(ALL_BYTES)).toBe(true);
        const reader = await store.open('bytes/b');
        expect((await collect(reader.createReadStream(0, 256))).equals(ALL_BYTES)).toBe(true);
        await reader.close();
      });

      test('a write with durable: false is as readable and as whole as any other', async () => {
        await expect(store.write('staging/a.bin', ALL_BYTES, { durable: false })).resolves.toEqual({ size: 256 });
        await store.replacePrefix('staging', 'live');
        expect((await store.readBytes('live/a.bin')).equals(ALL_BYTES)).toBe(true);
      });

      test('writes an empty blob', async () => {
        await expect(store.write('empty', '')).resolves.toEqual({ size: 0 });
        expect((await store.readBytes('empty')).length).toBe(0);
        expect((await store.stat('empty'))?.size).toBe(0);
      });

      test('overwrites with the whole new value, shorter or longer', async () => {
        await store.write('k', 'a long first value');
        await store.write('k', 'short');
        expect((await store.readBytes('k')).toString()).toBe('short');
        expect(await store.list('')).toEqual(['k']);
      });

      test('append (where the store has it) creates the blob, adds at the end and reports the new size', async () => {
        if (store.append === undefined) return void expect(store.append).toBeUndefined();
        expect(await store.append('logs/a.log', 'one\n')).toEqual({ size: 4 });
        expect(await store.append('logs/a.log', Buffer.from('two\n'))).toEqual({ size: 8 });
        expect((await store.readBytes('logs/a.log')).toString()).toBe('one\ntwo\n');
        await store.write('logs/a.log', 'x');
        expect(await store.append('logs/a.log', 'y')).toEqual({ size: 2 });
        for (const key of UNSAFE_KEYS) await expect(store.append(key, 'z')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      });

      test('streams a 20 MB blob in and out without changing a byte', async () => {
        const chunks = Array.from({ length: 320 }, () => randomBytes(64 * 1024));
        const want = createHash('sha256');
        chunks.forEach((chunk) => want.update(chunk));
        await expect(store.write('big/blob.bin', streamOf(chunks))).resolves.toEqual({ size: 20 * 1024 * 1024 });
        const got = createHash('sha256');
        for await (const chunk of await store.read('big/blob.bin')) got.update(chunk as Uint8Array);
        expect(got.digest('hex')).toBe(want.digest('hex'));
        expect((await store.stat('big/blob.bin'))?.size).toBe(20 * 1024 * 1024);
      });

      test('a failing input stream rejects with its error and leaves the old value', async () => {
        const boom = new Error('client went away');
        await store.write('k', 'old');
        await expect(store.write('k', streamOf([Buffer.from('new')], boom))).rejects.toBe(boom);
        await expect(store.write('fresh/k', streamOf([Buffer.alloc(1000)], boom))).rejects.toBe(boom);
        expect((await store.readBytes('k')).toString()).toBe('old');
        expect(await store.stat('fresh/k')).toBeUndefined();
        expect(await store.list('')).toEqual(['k']);
      });

      test('concurrent writes to one key leave one whole value', async () => {
        const a = Buffer.alloc(256 * 1024, 'a');
        const b = Buffer.alloc(256 * 1024, 'b');
        await Promise.all([store.write('race', streamOf([a, a])), store.write('race', streamOf([b, b]))]);
        const got = await store.readBytes('race');
        expect([Buffer.concat([a, a]).equals(got), Buffer.concat([b, b]).equals(got)]).toContain(true);
      });

      test('hands out copies: changing a returned buffer does not change the blob', async () => {
        await store.write('k', new Uint8Array([7, 7]));
        (await store.readBytes('k')).fill(0);
        expect([...(await store.readBytes('k'))]).toEqual([7, 7]);
      });

      test('read, readBytes and open reject a missing key with NOT_FOUND naming it', async () => {
        await store.write('folder/inner', 'x');
        for (const key of ['missing/key.txt', 'folder']) {
          await expect(store.read(key)).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining(key) });
          await expect(store.readBytes(key)).rejects.toMatchObject({ code: 'NOT_FOUND' });
          await expect(store.open(key)).rejects.toMatchObject({ code: 'NOT_FOUND' });
        }
      });

      test('a blob cannot sit where a folder of blobs is, nor inside another blob', async () => {
        await store.write('a/b', 'x');
        await expect(store.write('a', 'y')).rejects.toMatchObject({ code: 'CONFLICT' });
        await expect(store.write('a/b/c', 'y')).rejects.toMatchObject({ code: 'CONFLICT' });
        expect(await store.list('')).toEqual(['a/b']);
      });
    });

    describe('stat', () => {
      test('gives size and modification time of a blob, undefined for missing keys and folders', async () => {
        const before = Date.now();
        await store.write('dir/file', '12345');
        const stat = await store.stat('dir/file');
        expect(stat?.size).toBe(5);
        expect(stat?.modifiedAt).toBeInstanceOf(Date);
        expect(Math.abs((stat?.modifiedAt.getTime() ?? 0) - before)).toBeLessThan(60_000);
        expect(await store.stat('dir')).toBeUndefined();
        expect(await store.stat('nope')).toBeUndefined();
        expect(await store.stat('dir/file/below')).toBeUndefined();
      });
    });

    describe('open', () => {
      test('serves [start, end) ranges, including empty ones and the last byte', async () => {
        await store.write('r', ALL_BYTES);
        const reader = await store.open('r');
        expect(reader.size).toBe(256);
        const range = async (start: number, end: number) => [...(await collect(reader.createReadStream(start, end)))];
        expect(await range(0, 0)).toEqual([]);
        expect(await range(256, 256)).toEqual([]);
        expect(await range(255, 256)).toEqual([255]);
        expect(await range(0, 1)).toEqual([0]);
        expect(await range(10, 14)).toEqual([10, 11, 12, 13]);
        await reader.close();
      });

      test('reads two ranges of one reader at the same time', async () => {
        await store.write('r', ALL_BYTES);
        const reader = await store.open('r');
        const [head, tail] = await Promise.all([collect(reader.createReadStream(0, 128)), collect(reader.createReadStream(128, 256))]);
        expect(Buffer.concat([head, tail]).equals(ALL_BYTES)).toBe(true);
        await reader.close();
        await reader.close();
      });

      test('destroying one range stream leaves the reader and its other streams working', async () => {
        await store.write('r', Buffer.alloc(1024 * 1024, 5));
        const reader = await store.open('r');
        const first = reader.createReadStream(0, reader.size);
        first.once('data', () => first.destroy());
        await new Promise((resolve) => first.once('close', resolve));
        expect([...(await collect(reader.createReadStream(10, 13)))]).toEqual([5, 5, 5]);
        await reader.close();
      });

      test('rejects ranges outside the blob', async () => {
        await store.write('r', 'abc');
        const reader = await store.open('r');
        for (const [start, end] of [[0, 4], [2, 1], [-1, 2], [0.5, 2], [4, 4]] as const) {
          expect(() => reader.createReadStream(start, end)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
        }
        await reader.close();
      });
    });

    describe('list', () => {
      test('lists every key under a prefix, recursively and sorted, with segment boundaries', async () => {
        for (const key of ['a/bc/x', 'a/b/z', 'a/b/c/d', 'a/b.txt', 'b']) await store.write(key, key);
        expect(await store.list('a/b')).toEqual(['a/b/c/d', 'a/b/z']);
        expect(await store.list('a')).toEqual(['a/b.txt', 'a/b/c/d', 'a/b/z', 'a/bc/x']);
        expect(await store.list('')).toEqual(['a/b.txt', 'a/b/c/d', 'a/b/z', 'a/bc/x', 'b']);
        expect(await store.list('a/b.txt')).toEqual(['a/b.txt']);
        expect(await store.list('missing')).toEqual([]);
        expect(await store.list('a/b.txt/below')).toEqual([]);
      });

      test('lists nothing in an empty store', async () => {
        expect(await store.list('')).toEqual([]);
      });
    });

    describe('delete', () => {
      test('removes a key, or a whole prefix without touching its neighbours', async () => {
        for (const key of ['a/b/1', 'a/b/2/3', 'a/bc/x', 'a/keep']) await store.write(key, key);
        await store.delete('a/keep');
        await store.delete('a/b');
        expect(await store.list('')).toEqual(['a/bc/x']);
        await expect(store.delete('a/never')).resolves.toBeUndefined();
        await expect(store.delete('')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
        expect(await store.list('')).toEqual(['a/bc/x']);
      });
    });

    describe('replacePrefix', () => {
      test('moves a tree into place, replacing everything that was there', async () => {
        for (const key of ['staging/x/1', 'staging/x/sub/2', 'live/v1/old', 'live/v1/1', 'live/v10/keep']) await store.write(key, key);
        await store.replacePrefix('staging/x', 'live/v1');
        expect(await store.list('')).toEqual(['live/v1/1', 'live/v1/sub/2', 'live/v10/keep']);
        expect((await store.readBytes('live/v1/sub/2')).toString()).toBe('staging/x/sub/2');
      });

      test('creates missing parents of the target and moves single keys', async () => {
        await store.write('tmp/file', 'f');
        await store.replacePrefix('tmp/file', 'deep/new/place');
        expect(await store.list('')).toEqual(['deep/new/place']);
      });

      test('rejects a missing source with NOT_FOUND and keeps the target', async () => {
        await store.write('live/v1/a', 'a');
        await expect(store.replacePrefix('staging/none', 'live/v1')).rejects.toMatchObject({ code: 'NOT_FOUND' });
        expect(await store.list('')).toEqual(['live/v1/a']);
      });

      test('rejects moving a prefix into itself or onto its parent', async () => {
        await store.write('a/b/c', 'x');
        await expect(store.replacePrefix('a', 'a/b')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
        await expect(store.replacePrefix('a/b', 'a')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
        await expect(store.replacePrefix('a/b', 'a/b')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
        expect(await store.list('')).toEqual(['a/b/c']);
      });
    });

    test.each(UNSAFE_KEYS)('rejects the unsafe key %j in every method', async (key) => {
      await store.write('ok/x', 'x');
      const unsafe = { code: 'INVALID_INPUT', reason: 'unsafe_path' };
      await expect(store.write(key, 'x')).rejects.toMatchObject(unsafe);
      await expect(store.read(key)).rejects.toMatchObject(unsafe);
      await expect(store.readBytes(key)).rejects.toMatchObject(unsafe);
      await expect(store.open(key)).rejects.toMatchObject(unsafe);
      await expect(store.stat(key)).rejects.toMatchObject(unsafe);
      await expect(store.delete(key)).rejects.toMatchObject(unsafe);
      await expect(store.replacePrefix(key, 'ok/y')).rejects.toMatchObject(unsafe);
      await expect(store.replacePrefix('ok/x', key)).rejects.toMatchObject(unsafe);
      if (key !== '') await expect(store.list(key)).rejects.toMatchObject(unsafe);
      if (store.localPath !== undefined) expect(() => store.localPath?.(key)).toThrow(expect.objectContaining(unsafe));
      expect(await store.list('')).toEqual(['ok/x']);
    });
  });
}
