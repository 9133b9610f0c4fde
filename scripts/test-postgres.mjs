#!/usr/bin/env node
// npm run test:postgres: (a) every *.postgres.test.ts against YOLOOPS_TEST_POSTGRES_URL, then (b) the whole npm test
// suite with the platform on that server (YOLOOPS_DATABASE_URL, one schema per data root). Extra arguments go to vitest.
import { spawnSync } from 'node:child_process';
import pg from 'pg';

const url = process.env.YOLOOPS_TEST_POSTGRES_URL?.trim();
if (!url) {
  console.error('test:postgres needs YOLOOPS_TEST_POSTGRES_URL, e.g. postgres://yoloops:secret@127.0.0.1:5432/yoloops_test (a database the user may create schemas in)');
  process.exit(2);
}
const args = process.argv.slice(2);
/** What per-data-root leaves: `yoloops_` and 24 hex digits (schemaForDataRoot). */
const PER_DATA_ROOT = '^yoloops_[0-9a-f]{24}$';

async function dropDataRootSchemas() {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query('SELECT nspname FROM pg_namespace WHERE nspname ~ $1', [PER_DATA_ROOT]);
    for (const { nspname } of rows) await client.query(`DROP SCHEMA IF EXISTS "${nspname}" CASCADE`);
    return rows.length;
  } finally {
    await client.end();
  }
}

function vitest(config, env) {
  const result = spawnSync('npx', ['vitest', 'run', ...(config ? ['--config', config] : []), ...args], { stdio: 'inherit', env: { ...process.env, ...env } });
  return result.status ?? 1;
}

try {
  await dropDataRootSchemas();
} catch (error) {
  console.error(`test:postgres cannot reach the server of YOLOOPS_TEST_POSTGRES_URL: ${error.message}`);
  process.exit(2);
}
console.log('test:postgres (a): *.postgres.test.ts');
const own = vitest('vitest.postgres.config.ts', {});
console.log('test:postgres (b): the npm test suite with YOLOOPS_DATABASE_URL=$YOLOOPS_TEST_POSTGRES_URL YOLOOPS_DATABASE_SCHEMA=per-data-root');
const suite = vitest(undefined, { YOLOOPS_DATABASE_URL: url, YOLOOPS_DATABASE_SCHEMA: 'per-data-root' });
const dropped = await dropDataRootSchemas().catch(() => 0);
console.log(`test:postgres: dropped ${dropped} per-data-root schemas; (a) ${own === 0 ? 'passed' : 'FAILED'}, (b) ${suite === 0 ? 'passed' : 'FAILED'}`);
process.exit(own === 0 && suite === 0 ? 0 : 1);
