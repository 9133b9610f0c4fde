import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createFsBlobStore, sweepFsBlobStore } from './fs-blob-store.js';
import { sweepScratch } from './fs-sweep.js';

const UNSAFE = { code: 'INVALID_INPUT', reason: 'unsafe_path' };
let base: string;
let root: string;
let outside: string;

beforeEach(() => {
  base = mkdtempSync(path.join(tmpdir(), 'yoloops-fs-'));
  root = path.join(base, 'root');
  outside = path.join(base, 'outside');
  mkdirSync(outside);
  writeFileSync(path.join(outside, 'secret.txt'), 'secret');
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

const until = async (condition: () => boolean) => {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(condition()).toBe(true);
};

describe('createFsBlobStore', () => {
  test('creates a missing root and keeps each blob at its localPath', async () => {
    const store = createFsBlobStore(path.join(root, 'deep', 'er'));
    await store.write('a/b.txt', 'hello');
    expect(store.localPath('a/b.txt')).toBe(path.join(root, 'deep', 'er', 'a', 'b.txt'));
    expect(readFileSync(store.localPath('a/b.txt'), 'utf8')).toBe('hello');
  });

  test('works when the root itself is reached through a symlink', async () => {
    mkdirSync(path.join(base, 'real-root'));
    symlinkSync(path.join(base, 'real-root'), root);
    const store = createFsBlobStore(root);
    await store.write('a/b.txt', 'x');
    expect(readFileSync(path.join(base, 'real-root', 'a', 'b.txt'), 'utf8')).toBe('x');
  });

  test('rejects every path through a symlinked folder that points outside the root', async () => {
    const store = createFsBlobStore(root);
    symlinkSync(outside, path.join(root, 'escape'));
    await expect(store.write('escape/new.txt', 'x')).rejects.toMatchObject(UNSAFE);
    await expect(store.readBytes('escape/secret.txt')).rejects.toMatchObject(UNSAFE);
    await expect(store.read('escape/secret.txt')).rejects.toMatchObject(UNSAFE);
    await expect(store.stat('escape/secret.txt')).rejects.toMatchObject(UNSAFE);
    await expect(store.list('escape')).rejects.toMatchObject(UNSAFE);
    await expect(store.delete('escape/secret.txt')).rejects.toMatchObject(UNSAFE);
    await expect(store.replacePrefix('escape', 'inside')).rejects.toMatchObject(UNSAFE);
    expect(() => store.localPath('escape/secret.txt')).toThrow(expect.objectContaining(UNSAFE));
    expect(readdirSync(outside)).toEqual(['secret.txt']);
    expect(await store.list('')).toEqual([]);
  });

  test('rejects a symlinked file that points outside, and follows links that stay inside', async () => {
    const store = createFsBlobStore(root);
    symlinkSync(path.join(outside, 'secret.txt'), path.join(root, 'link.txt'));
    await expect(store.readBytes('link.txt')).rejects.toMatchObject(UNSAFE);
    await store.write('real/f.txt', 'inside');
    symlinkSync(path.join(root, 'real'), path.join(root, 'alias'));
    expect((await store.readBytes('alias/f.txt')).toString()).toBe('inside');
  });

  test('never follows a symlinked file, even one pointing inside the root (a planted link to the database)', async () => {
    const store = createFsBlobStore(root);
    await store.write('yoloops.db', 'secret rows');
    await store.write('datasets/d/v1/images/train/ok.jpg', 'jpeg');
    symlinkSync(path.join(root, 'yoloops.db'), path.join(root, 'datasets/d/v1/images/train/db.jpg'));
    await expect(store.readBytes('datasets/d/v1/images/train/db.jpg')).rejects.toMatchObject(UNSAFE);
    await expect(store.read('datasets/d/v1/images/train/db.jpg')).rejects.toMatchObject(UNSAFE);
    await expect(store.write('datasets/d/v1/images/train/db.jpg', 'x', { durable: false })).rejects.toMatchObject(UNSAFE);
    expect(readFileSync(path.join(root, 'yoloops.db'), 'utf8')).toBe('secret rows');
  });

  test('rejects keys using the reserved temp and trash names', async () => {
    const store = createFsBlobStore(root);
    await expect(store.write('.tmp-x', 'x')).rejects.toMatchObject(UNSAFE);
    await expect(store.write('a/.trash-y/b', 'x')).rejects.toMatchObject(UNSAFE);
  });

  test('a stream that fails halfway leaves neither the file nor a temp file', async () => {
    const store = createFsBlobStore(root);
    await store.write('dir/other.txt', 'keep');
    const failing = Readable.from(
      (async function* () {
        yield Buffer.alloc(64 * 1024, 1);
        throw new Error('connection reset');
      })(),
      { objectMode: false },
    );
    await expect(store.write('dir/upload.zip', failing)).rejects.toThrow('connection reset');
    expect(readdirSync(path.join(root, 'dir'))).toEqual(['other.txt']);
  });

  test('readers see the old blob until the new one is complete, and no temp file is listed', async () => {
    const store = createFsBlobStore(root);
    await store.write('k.bin', 'old');
    const input = new PassThrough();
    const pending = store.write('k.bin', input);
    input.write(Buffer.alloc(1000, 2));
    await until(() => readdirSync(root).some((name) => name.startsWith('.tmp-')));
    expect((await store.readBytes('k.bin')).toString()).toBe('old');
    expect(await store.list('')).toEqual(['k.bin']);
    input.end(Buffer.alloc(1000, 3));
    await expect(pending).resolves.toEqual({ size: 2000 });
    expect((await store.readBytes('k.bin')).length).toBe(2000);
    expect(readdirSync(root)).toEqual(['k.bin']);
  });

  test('list skips temp files, trash folders and symlinks', async () => {
    const store = createFsBlobStore(root);
    await store.write('a/file', 'x');
    writeFileSync(path.join(root, 'a', '.tmp-0123-file'), 'partial');
    mkdirSync(path.join(root, 'a', '.trash-0123456789abcdef-v1'));
    writeFileSync(path.join(root, 'a', '.trash-0123456789abcdef-v1', 'old'), 'old');
    symlinkSync(path.join(root, 'a', 'file'), path.join(root, 'a', 'link'));
    expect(await store.list('')).toEqual(['a/file']);
  });

  test('replacePrefix leaves no trash folder behind', async () => {
    const store = createFsBlobStore(root);
    await store.write('ds/.staging-1/images/a.jpg', 'new');
    await store.write('ds/v1/images/old.jpg', 'old');
    await store.replacePrefix('ds/.staging-1', 'ds/v1');
    expect(readdirSync(path.join(root, 'ds'))).toEqual(['v1']);
    expect(await store.list('ds')).toEqual(['ds/v1/images/a.jpg']);
  });

  test('closing a reader stops streams still reading, and it cannot make new ones', async () => {
    const store = createFsBlobStore(root);
    await store.write('big.bin', Buffer.alloc(4 * 1024 * 1024, 7));
    const reader = await store.open('big.bin');
    const stream = reader.createReadStream(0, reader.size);
    stream.once('data', () => undefined);
    await reader.close();
    expect(stream.destroyed).toBe(true);
    expect(() => reader.createReadStream(0, 1)).toThrow(expect.objectContaining({ code: 'INVALID_STATE' }));
  });
});

describe('sweepFsBlobStore', () => {
  test('removes temp files, staging trees and spent trash, and restores trash whose target is gone', async () => {
    const put = (rel: string, text = 'x') => {
      mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      writeFileSync(path.join(root, rel), text);
    };
    put('uploads/a.zip');
    put('uploads/.tmp-0011-a.zip');
    put('datasets/ds1/.staging-abc/images/x.jpg');
    put('datasets/ds1/v1/images/new.jpg');
    put('datasets/ds1/.trash-0123456789abcdef-v1/images/old.jpg');
    put('datasets/ds2/.trash-fedcba9876543210-v1/images/kept.jpg', 'kept');
    put('datasets/ds2/.trash-fedcba9876543210-v1/.tmp-9-partial');

    const handled = await sweepFsBlobStore(root);

    expect([...handled].sort()).toEqual([
      'datasets/ds1/.staging-abc',
      'datasets/ds1/.trash-0123456789abcdef-v1',
      'datasets/ds2/.trash-fedcba9876543210-v1',
      'datasets/ds2/v1/.tmp-9-partial',
      'uploads/.tmp-0011-a.zip',
    ]);
    expect(await createFsBlobStore(root).list('')).toEqual([
      'datasets/ds1/v1/images/new.jpg',
      'datasets/ds2/v1/images/kept.jpg',
      'uploads/a.zip',
    ]);
    expect(readdirSync(path.join(root, 'datasets', 'ds1')).sort()).toEqual(['v1']);
  });

  test('with olderThanMs (servers sharing the root) it leaves what another server is writing right now', async () => {
    const put = (rel: string, ageMs: number) => {
      const file = path.join(root, rel);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, 'x');
      const at = new Date(Date.now() - ageMs);
      utimesSync(file, at, at);
    };
    put('uploads/.tmp-1-fresh.zip', 1000);
    put('uploads/.tmp-2-stale.zip', 7_200_000);
    put('tmp/model-uploads/fresh.zip', 1000);
    put('tmp/model-uploads/stale.zip', 7_200_000);
    put('datasets/ds1/v1/images/a.jpg', 0);
    put('datasets/ds1/.trash-0123456789abcdef-v1/images/old.jpg', 0);
    const old = new Date(Date.now() - 7_200_000);
    utimesSync(path.join(root, 'datasets/ds1/.trash-0123456789abcdef-v1'), new Date(), new Date());

    expect(await sweepFsBlobStore(root, { olderThanMs: 3_600_000 })).toEqual(['uploads/.tmp-2-stale.zip']);
    await sweepScratch(path.join(root, 'tmp'), { olderThanMs: 3_600_000 });
    expect(readdirSync(path.join(root, 'tmp', 'model-uploads'))).toEqual(['fresh.zip']);
    // a fresh trash tree (another server's replacePrefix in progress) is neither removed nor renamed back
    expect(readdirSync(path.join(root, 'datasets', 'ds1')).sort()).toEqual(['.trash-0123456789abcdef-v1', 'v1']);
    utimesSync(path.join(root, 'datasets/ds1/.trash-0123456789abcdef-v1'), old, old);
    expect(await sweepFsBlobStore(root, { olderThanMs: 3_600_000 })).toEqual(['datasets/ds1/.trash-0123456789abcdef-v1']);
    await sweepScratch(path.join(root, 'tmp'));
    expect(readdirSync(path.join(root, 'tmp'))).toEqual([]);
  });

  test('does nothing for a missing root', async () => {
    expect(await sweepFsBlobStore(path.join(base, 'none'))).toEqual([]);
    expect(existsSync(path.join(base, 'none'))).toBe(false);
  });
});
