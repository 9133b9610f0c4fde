import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { openAccounts, openSqliteDatabase } from '@yoloops/core/node';
import { afterAll, describe, expect, test } from 'vitest';
import { REPO_ROOT } from '../../../test/support/fixtures.js';

const CLI = path.join(REPO_ROOT, 'packages/server-express/src/cli.ts');
const TSX = pathToFileURL(createRequire(path.join(REPO_ROOT, 'package.json')).resolve('tsx')).href;

const root = mkdtempSync(path.join(tmpdir(), 'yoloops-users-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Runs `yoloops users …` as a real child process with `stdin` piped in. */
function users(args: string[], stdin: string, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['--conditions=source', '--import', TSX, CLI, 'users', ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: root, ...env }, timeout: 60_000,
    }, (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }));
    child.stdin?.end(stdin);
  });
}

/** The accounts of a data dir, opened the way the server opens them. */
async function withAccounts<T>(dataDir: string, fn: (accounts: Awaited<ReturnType<typeof openAccounts>>) => Promise<T>): Promise<T> {
  const db = openSqliteDatabase(path.join(dataDir, 'yoloops.db'));
  try {
    return await fn(await openAccounts({ db, dataDir, jwtSecret: 's'.repeat(40) }));
  } finally {
    db.close();
  }
}

describe('yoloops users', () => {
  const data = path.join(root, 'data');

  test('add reads the password from stdin; the account logs in; a second spelling of the name is refused', async () => {
    const added = await users(['add', 'Ada', '--admin', '--email', 'ada@example.org', '--data', data], 'correct horse battery\n');
    expect(added).toMatchObject({ code: 0, stdout: 'created user 1 "Ada" (admin)\n' });
    expect(added.stdout + added.stderr).not.toContain('correct horse');
    const login = await withAccounts(data, (a) => a.authenticate('ada', 'correct horse battery'));
    expect(login).toMatchObject({ ok: true, user: { username: 'Ada', role: 'admin', email: 'ada@example.org' } });
    // The CLI needs no token secret, so it leaves none behind.
    expect(existsSync(path.join(data, 'secrets'))).toBe(false);
    const again = await users(['add', 'ADA', '--data', data], 'another password\n');
    expect(again).toMatchObject({ code: 1, stderr: 'Username already registered\n' });
  });

  test('YOLOOPS_DATA_DIR is used without --data; members by default; list shows accounts and never a hash', async () => {
    expect(await users(['add', 'bob'], 'bobs password\n', { YOLOOPS_DATA_DIR: data })).toMatchObject({ code: 0, stdout: 'created user 2 "bob" (member)\n' });
    const table = await users(['list', '--data', data], '');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^id\tusername\trole\tstatus\temail\tcreated_at\n1\tAda\tadmin\tactive\tada@example\.org\t\S+\n2\tbob\tmember\tactive\t-\t\S+\n$/);
    const json = await users(['list', '--json'], '', { YOLOOPS_DATA_DIR: data });
    const listed = JSON.parse(json.stdout) as Record<string, unknown>[];
    expect(listed.map((u) => u.username)).toEqual(['Ada', 'bob']);
    expect(json.stdout).not.toMatch(/scrypt|password|token_version/);
  });

  test('disable ends the account\'s tokens at once; enable lets it log in again', async () => {
    const token = await withAccounts(data, async (a) => (await a.issueToken((await a.getByUsername('bob'))!)).token);
    expect(await users(['disable', 'BOB', '--data', data], '')).toMatchObject({ code: 0, stdout: 'disabled "bob" (its tokens no longer work)\n' });
    await withAccounts(data, async (a) => {
      await expect(a.verify(token)).rejects.toMatchObject({ reason: 'inactive' });
      expect(await a.authenticate('bob', 'bobs password')).toEqual({ ok: false, reason: 'inactive' });
    });
    expect(await users(['enable', 'bob', '--data', data], '')).toMatchObject({ code: 0, stdout: 'enabled "bob"\n' });
    expect((await withAccounts(data, (a) => a.authenticate('bob', 'bobs password'))).ok).toBe(true);
  });

  test('passwd sets a new password from stdin and ends every earlier token', async () => {
    const token = await withAccounts(data, async (a) => (await a.issueToken((await a.getByUsername('ada'))!)).token);
    expect(await users(['passwd', 'ada', '--data', data], 'a brand new passphrase\n')).toMatchObject({ code: 0, stdout: 'password of "Ada" changed (its tokens no longer work)\n' });
    await withAccounts(data, async (a) => {
      await expect(a.verify(token)).rejects.toMatchObject({ reason: 'revoked' });
      expect((await a.authenticate('ada', 'correct horse battery')).ok).toBe(false);
      expect((await a.authenticate('ada', 'a brand new passphrase')).ok).toBe(true);
    });
  });

  test.each([
    [['add', 'carol', '--password', 'hunter22'], 'x\n', 2, /^--password is not accepted: the password is read from the prompt or from stdin\n/],
    [['add', 'carol'], '', 1, /^no password given: type it at the prompt, or pipe it on stdin/],
    [['add', 'carol'], 'short\n', 1, /^password: a password has at least 8 characters\n$/],
    [['add', 'bad name'], 'long enough pw\n', 1, /^username: a username is 1–64 of the characters/],
    [['add'], '', 2, /^users add needs exactly one NAME/],
    [['list', '--admin'], '', 2, /^users list takes no --admin/],
    [['disable', 'zed'], '', 1, /^no user named "zed"\n$/],
    [['remove', 'ada'], '', 2, /^unknown users command "remove"/],
  ])('users %j with stdin %j exits %i', async (args, stdin, code, message) => {
    const result = await users([...args, '--data', data], stdin);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
    expect((await withAccounts(data, (a) => a.list())).map((u) => u.username)).toEqual(['Ada', 'bob']);
  });

  test('--help and no command print the usage and exit 0', async () => {
    for (const args of [['--help'], []]) {
      const result = await users(args, '');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^usage: yoloops users <command>/);
      expect(result.stdout).toContain('passwd NAME');
    }
  });
});
