import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, test } from 'vitest';

// The embedded default (SQLite, local executor, no Redis) must not pay for the scale-out backends: the PostgreSQL
// driver and the Redis client (which BullMQ and the Redis rate-limit stores load) are loaded only when configured.
// A child process builds the platform and the app as `yoloops serve` does, then lists the CommonJS modules it loaded.

const REPO_ROOT = path.resolve(import.meta.dirname, '../../..');
const TSX = pathToFileURL(createRequire(path.join(REPO_ROOT, 'package.json')).resolve('tsx')).href;
const dataDir = mkdtempSync(path.join(tmpdir(), 'yoloops-embedded-modules-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const script = `
import { createRequire } from 'node:module';
const { createNodePlatform } = await import('@yoloops/core/node');
const { createApp } = await import('@yoloops/server-express');
const platform = await createNodePlatform({ dataDir: process.env.DATA_DIR });
const app = createApp({ services: platform, log: () => {}, rateLimits: {} });
const cache = Object.keys(createRequire(import.meta.url).cache);
const packages = new Set(cache.map((file) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(file)?.[1]).filter(Boolean));
process.stdout.write(JSON.stringify({ app: typeof app, packages: [...packages].sort() }));
await platform.close();
`;

async function loadedPackages(env: Record<string, string | undefined>): Promise<{ app: string; packages: string[] }> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, ...env };
  for (const [key, value] of Object.entries(childEnv)) if (value === undefined) delete childEnv[key];
  const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=source', '--import', TSX, '--input-type=module', '-e', script], {
    cwd: REPO_ROOT, env: childEnv, timeout: 60_000,
  });
  return JSON.parse(stdout) as { app: string; packages: string[] };
}

test('with the embedded defaults neither pg nor ioredis is loaded (better-sqlite3 is)', async () => {
  const { app, packages } = await loadedPackages({ YOLOOPS_DATABASE_URL: undefined, YOLOOPS_REDIS_URL: undefined, YOLOOPS_DATABASE_SCHEMA: undefined });
  expect(app).toBe('function');
  expect(packages).toContain('better-sqlite3'); // the check sees what was loaded
  expect(packages).not.toContain('pg');
  expect(packages).not.toContain('ioredis');
}, 90_000);

test('with YOLOOPS_REDIS_URL the Redis client is loaded (dispatch through BullMQ), still without pg', async () => {
  // Nothing listens on port 9: the connections are lazy, so the platform starts and closes without Redis.
  const { packages } = await loadedPackages({ YOLOOPS_DATABASE_URL: undefined, YOLOOPS_REDIS_URL: 'redis://127.0.0.1:9', YOLOOPS_DATABASE_SCHEMA: undefined });
  expect(packages).toContain('ioredis');
  expect(packages).not.toContain('pg');
}, 90_000);
