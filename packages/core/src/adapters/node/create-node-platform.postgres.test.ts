import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { dropSchemasLike, testPostgresUrl } from '../../../test/support/postgres-server.js';
import { createNodePlatform } from './create-node-platform.js';
import { schemaForDataRoot } from './node-database.js';

const url = testPostgresUrl();
const dir = mkdtempSync(path.join(tmpdir(), 'yoloops-pg-platform-'));
const schemas: string[] = [];
afterAll(async () => {
  for (const schema of schemas) await dropSchemasLike(url, schema);
  rmSync(dir, { recursive: true, force: true });
});

const open = (dataDir: string, schema = 'per-data-root') =>
  createNodePlatform({ dataDir, database: { url, schema, poolMax: 3 }, jobs: { agentCommand: null, watchdogMs: 60_000 }, generation: { llama: false } });

const at = '2024-01-01T00:00:00.000Z';

describe('createNodePlatform on a real PostgreSQL server', () => {
  test('every store writes to the data root\'s own schema (not to yoloops.db); a reopen sees it; another root sees nothing', async () => {
    const root = path.join(dir, 'a');
    const first = await open(root);
    schemas.push(schemaForDataRoot(root));
    await first.stores.datasets.create({ dataset_id: 'ds_1', filename: 'a.zip', size: 1, sha256: 'x', uploaded_at: at, created_at: at, status: 'prepared', versions: ['v1'] });
    await first.blobs.write('datasets/ds_1/v1/data.yaml', 'names: [cat]\n');
    const job = await first.jobs.create({ dataset_id: 'ds_1', epochs: 1 });
    const counts = await first.postgres!.query<{ jobs: string; datasets: string }>('SELECT (SELECT count(*) FROM training_jobs) AS jobs, (SELECT count(*) FROM datasets) AS datasets');
    expect(counts.rows[0]).toEqual({ jobs: '1', datasets: '1' });
    expect(first.db.prepare('SELECT count(*) AS n FROM training_jobs').get()).toEqual({ n: 0 });
    expect(await first.system.checkDatabase()).toMatchObject({ status: 'healthy', engine: 'postgresql', version: expect.stringMatching(/^\d+/) });
    await first.jobs.stop(job.job_id).catch(() => undefined);
    await first.close();

    const again = await open(root);
    expect((await again.jobs.get(job.job_id)).job_id).toBe(job.job_id);
    await again.close();

    const other = path.join(dir, 'b');
    const fresh = await open(other);
    schemas.push(schemaForDataRoot(other));
    expect(schemaForDataRoot(other)).not.toBe(schemaForDataRoot(root));
    expect(await fresh.stores.datasets.list()).toEqual([]);
    await fresh.close();
  });

  test('a server that is not there stops the start with EXTERNAL_FAILURE naming the host, never the password', async () => {
    const error = await createNodePlatform({ dataDir: path.join(dir, 'c'), database: { url: 'postgres://u:hunter2@127.0.0.1:1/x' } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'EXTERNAL_FAILURE', message: expect.stringContaining('127.0.0.1:1') });
    expect((error as Error).message).not.toContain('hunter2');
  });
});
