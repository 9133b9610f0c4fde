import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';

// npm links a package's bin only when its target exists at install time: a bin pointing at build output
// (dist/) is missing from node_modules/.bin after `npm ci`, so `npx yoloops worker` fails on a fresh clone.
const REPO_ROOT = path.resolve(import.meta.dirname, '../../..');
const tracked = new Set(execFileSync('git', ['ls-files'], { cwd: REPO_ROOT, encoding: 'utf8' }).split('\n'));

test.each(['server-express', 'trainer-agent'])('every bin of @yoloops/%s is a committed file, not build output', (name) => {
  const manifest = JSON.parse(readFileSync(path.join(REPO_ROOT, 'packages', name, 'package.json'), 'utf8')) as { bin: Record<string, string>; files: string[] };
  const targets = Object.values(manifest.bin);
  expect(targets.length).toBeGreaterThan(0);
  for (const target of targets) {
    const file = path.posix.join('packages', name, path.posix.normalize(target));
    expect(tracked.has(file), `${file} is not tracked by git`).toBe(true);
    expect(file).not.toMatch(/\/dist\//);
    expect(manifest.files.some((entry) => file.startsWith(path.posix.join('packages', name, entry)))).toBe(true); // shipped with the package
  }
});
