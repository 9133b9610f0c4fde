import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createNodePlatform } from '@yoloops/core/node';
import { afterAll, describe, expect, test } from 'vitest';
import { dropSchemasLike, testPostgresUrl } from '../../core/test/support/postgres-server.js';
import { REPO_ROOT } from '../../../test/support/fixtures.js';

const CLI = path.join(REPO_ROOT, 'packages/server-express/src/cli.ts');
const TSX = pathToFileURL(createRequire(path.join(REPO_ROOT, 'package.json')).resolve('tsx')).href;
const url = testPostgresUrl();
const schema = `users_cli_${process.pid}`;
const root = mkdtempSync(path.join(tmpdir(), 'yoloops-users-cli-pg-'));
afterAll(async () => {
  await dropSchemasLike(url, schema);
  rmSync(root, { recursive: true, force: true });
});

/** Runs `yoloops users …` as a real child process with the database variables set. */
function users(args: string[], stdin: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['--conditions=source', '--import', TSX, CLI, 'users', ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: root, YOLOOPS_DATABASE_URL: url, YOLOOPS_DATABASE_SCHEMA: schema }, timeout: 60_000,
    }, (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }));
    child.stdin?.end(stdin);
  });
}

describe('yoloops users with YOLOOPS_DATABASE_URL', () => {
  test('the account is created on the PostgreSQL server, where the platform logs it in', async () => {
    const data = path.join(root, 'data');
    expect(await users(['add', 'ada', '--admin', '--data', data], 'correct horse battery\n')).toMatchObject({ code: 0, stdout: 'created user 1 "ada" (admin)\n' });
    const platform = await createNodePlatform({ dataDir: data, database: { url, schema }, jobs: { agentCommand: null }, generation: { llama: false }, accounts: { jwtSecret: 's'.repeat(40) } });
    try {
      expect(await platform.accounts.authenticate('ada', 'correct horse battery')).toMatchObject({ ok: true, user: { username: 'ada', role: 'admin' } });
      expect(platform.db.prepare('SELECT count(*) AS n FROM users').get()).toEqual({ n: 0 });
    } finally {
      await platform.close();
    }
  });
});
