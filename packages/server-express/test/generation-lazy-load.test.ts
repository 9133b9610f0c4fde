import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, test } from 'vitest';
import { REPO_ROOT } from '../../../test/support/fixtures.js';

const TSX = pathToFileURL(createRequire(path.join(REPO_ROOT, 'package.json')).resolve('tsx')).href;
const CHILD = path.join(REPO_ROOT, 'packages/server-express/test/support/lazy-llama-child.ts');

describe('the server and node-llama-cpp', () => {
  test('starting and listing models loads no llama.cpp library; the first generation does', async () => {
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--conditions=source', '--import', TSX, CHILD], { cwd: REPO_ROOT, timeout: 120_000 }, (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)));
    });
    const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as { before: string[]; status: number; after: string[] };
    expect(report.before).toEqual([]);
    expect(report.status).toBe(200);
    expect(report.after.some((lib) => path.basename(lib).startsWith('llama-addon'))).toBe(true);
  });
});
