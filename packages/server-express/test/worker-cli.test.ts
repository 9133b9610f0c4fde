import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, test } from 'vitest';
import { REPO_ROOT } from '../../../test/support/fixtures.js';

const CLI = path.join(REPO_ROOT, 'packages/server-express/src/cli.ts');
const TSX = pathToFileURL(createRequire(path.join(REPO_ROOT, 'package.json')).resolve('tsx')).href;

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env, YOLOOPS_SERVER_URL: '', YOLOOPS_REDIS_URL: '' };
    execFile(process.execPath, ['--conditions=source', '--import', TSX, CLI, ...args], { env, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

describe('yoloops worker', () => {
  test('is listed among the commands; --help prints its options and exits 0', async () => {
    expect((await runCli(['--help'])).stdout).toMatch(/^ {2}worker +run a training worker on this machine/m);
    const help = await runCli(['worker', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: yoloops worker --server URL --redis URL/);
    for (const flag of ['--token', '--id', '--labels', '--concurrency', '--work-dir', '--agent-command']) expect(help.stdout).toContain(flag);
  });

  test('a missing --redis is a usage error (exit 2) naming it', async () => {
    const run = await runCli(['worker', '--server', 'http://127.0.0.1:9']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^yoloops worker: --redis is required \(or YOLOOPS_REDIS_URL\)\nusage: yoloops worker/);
  });
});
