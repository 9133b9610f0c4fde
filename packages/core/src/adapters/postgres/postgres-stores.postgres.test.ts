import { execa } from 'execa';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { describeAnnotationStoreContract } from '../../../test/support/contracts/annotation-store.contract.js';
import { describeDatasetStoreContract } from '../../../test/support/contracts/dataset-store.contract.js';
import { describeInstructionDatasetStoreContract } from '../../../test/support/contracts/instruction-dataset-store.contract.js';
import { describeJobStoreContract } from '../../../test/support/contracts/job-store.contract.js';
import { describeMetricStoreContract } from '../../../test/support/contracts/metric-store.contract.js';
import { describeModelStoreContract } from '../../../test/support/contracts/model-store.contract.js';
import { describeProcessingTaskStoreContract } from '../../../test/support/contracts/processing-task-store.contract.js';
import { describeProjectStoreContract } from '../../../test/support/contracts/project-store.contract.js';
import { describeResourceIndexContract } from '../../../test/support/contracts/resource-index.contract.js';
import { describeRevocationStoreContract } from '../../../test/support/contracts/revocation-store.contract.js';
import { describeSettingsStoreContract } from '../../../test/support/contracts/settings-store.contract.js';
import { describeUserStoreContract } from '../../../test/support/contracts/user-store.contract.js';
import { describeWorkerStoreContract } from '../../../test/support/contracts/worker-store.contract.js';
import { createTestSchema, testPostgresUrl, type TestSchema } from '../../../test/support/postgres-server.js';
import { createPostgresAnnotationStore } from './postgres-annotation-store.js';
import type { PostgresDatabase } from './postgres-database.js';
import { createPostgresDatasetStore } from './postgres-dataset-store.js';
import { createPostgresInstructionDatasetStore } from './postgres-instruction-dataset-store.js';
import { createPostgresJobStore } from './postgres-job-store.js';
import { createPostgresMetricStore } from './postgres-metric-store.js';
import { POSTGRES_MIGRATIONS } from './postgres-migrations.js';
import { createPostgresModelStore } from './postgres-model-store.js';
import { createPostgresProcessingTaskStore } from './postgres-processing-task-store.js';
import { createPostgresProjectStore } from './postgres-project-store.js';
import { createPostgresResourceIndex } from './postgres-resource-index.js';
import { createPostgresRevocationStore } from './postgres-revocation-store.js';
import { createPostgresSettingsStore } from './postgres-settings-store.js';
import { createPostgresUserStore } from './postgres-user-store.js';
import { createPostgresWorkerStore } from './postgres-worker-store.js';

// The contract suites that have a PostgreSQL adapter, on the real server of YOLOOPS_TEST_POSTGRES_URL (PGlite runs them in npm test).
testPostgresUrl();

/** Empties every table of the schema but the migration record, so each test of a suite starts from nothing. */
async function truncateAll(db: PostgresDatabase): Promise<void> {
  const { rows } = await db.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'schema_migrations'");
  if (rows.length > 0) await db.query(`TRUNCATE ${rows.map((r) => `"${r.tablename}"`).join(', ')} RESTART IDENTITY CASCADE`);
}

/** Runs `describe(name, factory)` on a schema of its own, created before the suite and dropped after it. */
function onFreshSchema<S>(name: string, describeContract: (name: string, factory: () => Promise<S>) => void, create: (db: PostgresDatabase) => S): void {
  describe(`postgres ${name}`, () => {
    let schema: TestSchema;
    beforeAll(async () => {
      schema = await createTestSchema(name.replace(/\W/g, '_'));
    });
    afterAll(() => schema?.drop());
    describeContract('postgres', async () => {
      await truncateAll(schema.db);
      return create(schema.db);
    });
  });
}

onFreshSchema('datasets', describeDatasetStoreContract, createPostgresDatasetStore);
onFreshSchema('annotations', describeAnnotationStoreContract, createPostgresAnnotationStore);
onFreshSchema('workers', describeWorkerStoreContract, createPostgresWorkerStore);
onFreshSchema('jobs', describeJobStoreContract, createPostgresJobStore);
onFreshSchema('metrics', describeMetricStoreContract, createPostgresMetricStore);
onFreshSchema('models', describeModelStoreContract, createPostgresModelStore);
onFreshSchema('settings', describeSettingsStoreContract, (db) => createPostgresSettingsStore(db));
onFreshSchema('projects', describeProjectStoreContract, (db) => createPostgresProjectStore(db));
onFreshSchema('resources', describeResourceIndexContract, (db) => createPostgresResourceIndex(db));
onFreshSchema('users', describeUserStoreContract, (db) => createPostgresUserStore(db));
onFreshSchema('revocations', describeRevocationStoreContract, createPostgresRevocationStore);
onFreshSchema('processing_tasks', describeProcessingTaskStoreContract, createPostgresProcessingTaskStore);
onFreshSchema('instruction_datasets', describeInstructionDatasetStoreContract, createPostgresInstructionDatasetStore);

const MIGRATE_CHILD = fileURLToPath(new URL('../../../test/support/postgres-migrate-child.ts', import.meta.url));

describe('postgres: migrations and connections on a real server', () => {
  test('six processes migrating one empty schema at once record every migration once and build it once', async () => {
    const s = await createTestSchema('race');
    try {
      await s.admin(`DROP SCHEMA ${s.schema} CASCADE`);
      await s.db.close();
      const runs = Array.from({ length: 6 }, () => execa('node', ['--import', 'tsx', MIGRATE_CHILD, s.url, s.schema], { reject: false }));
      const results = await Promise.all(runs);
      expect(results.map((r) => [r.exitCode, r.stderr])).toEqual(results.map(() => [0, '']));
      const recorded = await s.admin<{ version: number }>(`SELECT version FROM ${s.schema}.schema_migrations ORDER BY version`);
      expect(recorded.map((r) => r.version)).toEqual(POSTGRES_MIGRATIONS.map((_, i) => i + 1));
    } finally {
      await s.drop();
    }
  });

  test('after the server terminates every connection of the pool, the next query works', async () => {
    const s = await createTestSchema('reconnect', { max: 3 });
    try {
      const jobs = createPostgresJobStore(s.db);
      // Three statements at once check out all three connections; their backends are the ones to terminate (and no other test's).
      const held = await Promise.all([1, 2, 3].map(() => s.db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid, pg_sleep(0.1)')));
      const pids = [...new Set(held.map((r) => r.rows[0]!.pid))];
      expect(pids).toHaveLength(3);
      const killed = await s.admin<{ ok: boolean }>('SELECT pg_terminate_backend(p) AS ok FROM unnest($1::int[]) AS p', [pids]);
      expect(killed.map((k) => k.ok)).toEqual([true, true, true]);
      const after = await s.db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      expect(pids).not.toContain(after.rows[0]?.pid);
      expect(await jobs.list()).toEqual([]);
      // The same for a transaction: its BEGIN meets the dead connection and goes to a fresh one.
      await s.admin('SELECT pg_terminate_backend(p) FROM unnest($1::int[]) AS p', [[after.rows[0]!.pid]]);
      expect(await s.db.transaction(async (tx) => (await tx.query<{ n: number }>('SELECT 1 AS n')).rows)).toEqual([{ n: 1 }]);
    } finally {
      await s.drop();
    }
  });
});
